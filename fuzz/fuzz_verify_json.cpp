// libFuzzer harness: the point and multiplier files of `almkit verify`
// (core/vector_json.h): JSON text, then the fields x, equality and inequality
// with expected lengths taken from the first bytes. Bad input must be a
// std::invalid_argument (exit 2 in the CLI).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "almkit/core/vector_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Eigen::Index n = data[0] % 8, m = data[1] % 4;
  const std::string text(reinterpret_cast<const char*>(data) + 2, size - 2);
  try {
    const nlohmann::json j = almkit::parse_json_text(text, "fuzz.json");
    const almkit::Vector x = almkit::read_json_vector(j, "fuzz.json", "x", n, "variables:");
    const almkit::Vector l = almkit::read_json_vector(j, "fuzz.json", "equality", m, "equalities:");
    const almkit::Vector u = almkit::read_json_vector(j, "fuzz.json", "inequality", m, "inequalities:");
    (void)(x.sum() + l.sum() + u.sum());
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
