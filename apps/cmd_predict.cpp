// almkit predict MODEL DATA [--out FILE.csv]: applies a saved model (with the
// scaling fitted at training time) to a CSV file and writes the predictions
// in original units (docs/rnn.md §8). The whole file is one sequence, run
// from h_0 = 0. Without --out the CSV goes to standard output.
#include <memory>
#include <string>

#include <fmt/core.h>

#include "almkit/core/io.h"
#include "almkit/problems/rnn/rnn_data.h"
#include "almkit/problems/rnn/rnn_model.h"
#include "almkit/study/rnn_trainer.h"
#include "commands.h"

namespace almkit::cli {

namespace {
struct PredictArgs {
  std::string model;
  std::string data;
  std::string out;
};
}  // namespace

void register_predict(CLI::App& app) {
  auto args = std::make_shared<PredictArgs>();
  auto* sub = app.add_subcommand("predict", "Apply a model.json written by 'almkit train' to a CSV file");
  sub->add_option("model", args->model, "model.json written by almkit train")->required();
  sub->add_option("data", args->data, "CSV file with the model's input columns (and optionally its target)")->required();
  sub->add_option("--out", args->out, "Write the predictions CSV here (default: standard output)");
  sub->callback([args] {
    if (parse_only() != ParseOnly::kOff) return;  // docs/cli.md "Checking a command line"
    const rnn::RnnModel model = rnn::load_model(args->model);
    const rnn::ApplySeries s = rnn::load_series_for_prediction(args->data, model.input_columns, model.target_columns,
                                                               model.univariate, model.scaling);
    const Matrix pred = model.scaling.targets.invert(rnn::predict_series(model.weights, s.series));
    const Matrix truth = model.scaling.targets.invert(s.series.Y);
    const std::string csv = rnn::predictions_csv(s.rows, truth, pred);
    if (args->out.empty()) {
      fmt::print("{}", csv);
    } else {
      write_file_atomically(args->out, csv);
      fmt::print(stderr, "almkit predict: {} predictions written to {}\n", pred.cols(), args->out);
    }
  });
}

}  // namespace almkit::cli
