// Records serialised from one field list (core/record.h, docs/json.md
// "Records"): for every record type the CSV header and the JSON keys are its
// visit() names, the readers invert the writers, and the files that carry the
// records (solve --json, summary.json, history.csv, checkpoint.json) hold
// every field.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "almkit/core/alm_json.h"
#include "almkit/core/record.h"
#include "almkit/core/run_control.h"
#include "almkit/problems/registry.h"
#include "almkit/solvers/lbfgs/ceres_lbfgs.h"
#include "almkit/study/rnn_checkpoint.h"
#include "almkit/study/rnn_trainer.h"
#include "cli_test_helpers.h"

using namespace almkit;

namespace {

namespace fs = std::filesystem;

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> json_keys(const nlohmann::json& j) {
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  return sorted(keys);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i)
    if (i == line.size() || line[i] == ',') {
      cells.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  return cells;
}

template <class Fields>
std::vector<std::string> names_of(const Fields& fields) {
  std::vector<std::string> names;
  auto add = [&](const char* name, const auto&, const char*) { names.emplace_back(name); };
  fields(add);
  return names;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// The CSV header and the JSON keys of R are its visit() names, each once, and
// every field has a description.
template <bool kCsv, class R>
void check_field_list(const R& sample) {
  const std::vector<std::string> fields = record_fields<R>();
  REQUIRE(!fields.empty());
  CHECK(sorted(fields) == json_keys(record_to_json(sample)));
  auto unique = sorted(fields);
  CHECK(std::adjacent_find(unique.begin(), unique.end()) == unique.end());
  sample.visit([](const char* name, const auto&, const char* doc) { CHECK_MESSAGE(std::strlen(doc) > 0, name); });
  if constexpr (kCsv) {
    CHECK(split(csv_header<R>()) == fields);
    CHECK(split(csv_row(sample)).size() == fields.size());
  }
}

}  // namespace

TEST_CASE("records: CSV header and JSON keys are the visit() field list") {
  check_field_list<true>(KktReport{});
  check_field_list<true>(EvaluationCounters{});
  check_field_list<true>(AlmIteration{});
  check_field_list<true>(rnn::TrainHistoryRow{});
  check_field_list<true>(rnn::ValidationPoint{});
  check_field_list<false>(rnn::TrainSummary{});  // nested evaluations: JSON and Python only
  // sign_violation in the KKT object; the 7 evaluation counters plus J v and H v products (10).
  const auto kkt = record_fields<KktReport>();
  CHECK(std::find(kkt.begin(), kkt.end(), "sign_violation") != kkt.end());
  CHECK(record_fields<EvaluationCounters>().size() == 10);
}

TEST_CASE("records: history.csv keeps its documented column order (docs/rnn.md §8)") {
  CHECK(csv_header<rnn::TrainHistoryRow>() ==
        "iteration,seconds,train_mse,test_mse,violation_c1,violation_c2,gamma,sweeps,objective,grad_inf,rollout_gap,"
        "accepted");
  rnn::TrainHistoryRow r;
  r.iteration = 3;
  r.seconds = 0.1;
  r.gamma = std::numeric_limits<double>::quiet_NaN();
  r.train_mse = 1.0 / 3.0;
  r.sweeps = 7;
  const std::string csv = rnn::history_csv({r});
  const auto lines = almkit::testing::csv_rows(csv);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == record_fields<rnn::TrainHistoryRow>());
  CHECK(lines[1][0] == "3");
  CHECK(lines[1][6] == "nan");
  CHECK(lines[1][7] == "7");
  CHECK(std::stod(lines[1][2]) == 1.0 / 3.0);  // 17 digits read back exactly
  CHECK(lines[1][11] == "-1");
}

namespace {
struct Named {
  std::string name = "a,\"b\"";
  int k = 2;
  template <class V>
  void visit(V&& v) const {
    v("name", name, "a name");
    v("k", k, "a count");
  }
};
}  // namespace

TEST_CASE("records: CSV quotes strings that hold a comma") {
  CHECK(csv_header<Named>() == "name,k");
  CHECK(csv_row(Named{}) == "\"a,\"\"b\"\"\",2");
}

TEST_CASE("records: JSON write -> read round trips, readers name what is missing") {
  SUBCASE("history row as the checkpoint's array, bit for bit with NaN and inf") {
    rnn::TrainHistoryRow r;
    r.iteration = 4;
    r.seconds = 1.25;
    r.train_mse = 0.1;
    r.test_mse = std::numeric_limits<double>::infinity();
    r.violation_c1 = 1e-300;
    r.violation_c2 = -0.0;
    r.gamma = std::numeric_limits<double>::quiet_NaN();
    r.sweeps = 123456789012L;
    r.objective = 2.0 / 3.0;
    r.grad_inf = 5e-17;
    r.rollout_gap = 7.0;
    r.accepted = 0;
    const nlohmann::json j = rnn::history_row_to_json(r);
    CHECK(j.size() == record_fields<rnn::TrainHistoryRow>().size());
    const rnn::TrainHistoryRow b = rnn::history_row_from_json(nlohmann::json::parse(j.dump()));
    CHECK(b.iteration == r.iteration);
    CHECK(b.sweeps == r.sweeps);
    CHECK(b.accepted == r.accepted);
    for (auto [x, y] : {std::pair{r.seconds, b.seconds}, {r.train_mse, b.train_mse}, {r.test_mse, b.test_mse},
                        {r.violation_c1, b.violation_c1}, {r.violation_c2, b.violation_c2},
                        {r.objective, b.objective}, {r.grad_inf, b.grad_inf}, {r.rollout_gap, b.rollout_gap}})
      CHECK(same_bits(x, y));
    CHECK(std::isnan(b.gamma));
    nlohmann::json short_row = j;
    short_row.erase(short_row.size() - 1);
    CHECK_THROWS_WITH_AS(rnn::history_row_from_json(short_row), doctest::Contains("checkpoint: history row"),
                         std::invalid_argument);
  }
  SUBCASE("evaluation counters and KKT report as objects") {
    EvaluationCounters e;
    long k = 1;
    e.visit([&](const char*, long& field, const char*) { field = k++ * 1000003L; });
    EvaluationCounters e2;
    record_from_json(nlohmann::json::parse(record_to_json(e).dump()), &e2, "evaluations");
    CHECK(record_to_json(e2) == record_to_json(e));
    CHECK(e2.jacobian == 7 * 1000003L);

    KktReport kkt;
    double x = 0.1;
    kkt.visit([&](const char*, double& field, const char*) { field = (x *= 3.7); });
    KktReport kkt2;
    record_from_json(nlohmann::json::parse(record_to_json(kkt).dump()), &kkt2, "kkt");
    kkt.visit([&](const char* name, const double& a, const char*) {
      double b = std::numeric_limits<double>::quiet_NaN();
      kkt2.visit([&](const char* n2, const double& f, const char*) { if (std::strcmp(name, n2) == 0) b = f; });
      CHECK_MESSAGE(same_bits(a, b), name);
    });

    nlohmann::json missing = record_to_json(e);
    missing.erase("jacobian");
    CHECK_THROWS_WITH_AS(record_from_json(missing, &e2, "checkpoint: evaluations"),
                         "checkpoint: evaluations: missing field 'jacobian'", std::invalid_argument);
    nlohmann::json wrong = record_to_json(e);
    wrong["gradient"] = "many";
    CHECK_THROWS_WITH_AS(record_from_json(wrong, &e2, "evaluations"), doctest::Contains("evaluations.gradient"),
                         std::invalid_argument);
  }
}

TEST_CASE("records: `almkit solve --json` blocks come from the field lists (docs/json.md)") {
  const auto p = find_problem("hs071")->make();
  CeresLbfgsSolver inner;
  const AlmSummary s = solve_alm(*p, inner);
  const nlohmann::json j = summary_to_json(s);
  for (const std::string& key : names_of([&s](auto& v) { s.visit(v); })) CHECK_MESSAGE(j.contains(key), key);
  CHECK(json_keys(j["kkt"]) == sorted(record_fields<KktReport>()));
  CHECK(json_keys(j["statistics"]) == sorted(names_of([&s](auto& v) { s.visit_statistics(v); })));
  CHECK(json_keys(j["statistics"]["evaluations"]) == sorted(record_fields<EvaluationCounters>()));
  REQUIRE(!j["history"].empty());
  CHECK(json_keys(j["history"][0]) == sorted(record_fields<AlmIteration>()));
  CHECK(j["statistics"]["evaluations"]["gradient"] == s.evaluations.gradient);
  CHECK(j["history"].back()["inner_status"] == to_string(s.history.back().inner.status));
}

TEST_CASE("records: summary.json, history.csv and checkpoint.json of `almkit train` carry every field") {
  const fs::path dir = almkit::testing::fresh_temp_dir("almkit_test_records", "train");
  const fs::path data = almkit::testing::seeded_series(dir, 60);
  const fs::path out = dir / "run";
  const auto r = almkit::testing::run_cli(fmt::format(
      "train --data \"{}\" --target y --policy rollout --hidden 2 --outer 3 --no-plots --checkpoint-every 1 --out \"{}\"",
      data.string(), out.string()));
  INFO(r.output);
  REQUIRE(r.code == 0);
  const nlohmann::json s = nlohmann::json::parse(almkit::testing::slurp(out / "summary.json"));
  for (const std::string& key : record_fields<rnn::TrainSummary>()) CHECK_MESSAGE(s.contains(key), key);
  CHECK(json_keys(s["evaluations"]) == sorted(record_fields<EvaluationCounters>()));  // all 7 counters
  CHECK(s["evaluations"]["gradient"].get<long>() > 0);
  for (const char* block : {"kkt", "kkt_bptt"}) {
    std::vector<std::string> expected = record_fields<KktReport>();
    expected.push_back("multipliers");  // which multipliers: added by the train command
    CHECK_MESSAGE(json_keys(s[block]) == sorted(expected), block);
  }
  const auto lines = almkit::testing::csv_rows(almkit::testing::slurp(out / "history.csv"));
  REQUIRE(lines.size() == 5);  // header, rows 0..3
  CHECK(lines[0] == record_fields<rnn::TrainHistoryRow>());
  const nlohmann::json ck = nlohmann::json::parse(almkit::testing::slurp(out / "checkpoint.json"));
  REQUIRE(ck["history"].size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    const rnn::TrainHistoryRow row = rnn::history_row_from_json(ck["history"][i]);
    std::string line;
    for (const std::string& cell : lines[i + 1]) (line.empty() ? line : line += ',') += cell;
    CHECK(csv_row(row) == line);
  }
  CHECK(json_keys(ck["evaluations"]) == sorted(record_fields<EvaluationCounters>()));
}
