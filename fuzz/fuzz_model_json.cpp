// libFuzzer harness: the model.json loader (problems/rnn/rnn_model.h
// model_from_json) on arbitrary bytes. A model that loads must be usable:
// predictions on a 3-step series of its input width, and the inverse target
// scaling, run without a sanitizer report or an Eigen assertion.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "almkit/problems/rnn/rnn_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace almkit::rnn;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + size);
  } catch (const nlohmann::json::exception&) {
    return 0;
  }
  RnnModel model;
  try {
    model = model_from_json(j);
  } catch (const std::invalid_argument&) {
    return 0;
  } catch (const nlohmann::json::exception&) {
    return 0;  // load_model turns these into "bad model file" (std::invalid_argument)
  }
  const auto& w = model.weights;
  if (w.m() > 512 || w.V.cols() > 512) return 0;  // a valid but large model: nothing more to learn
  RnnSeries s;
  s.X = almkit::Matrix::Constant(w.V.cols(), 3, 0.5);
  s.Y = almkit::Matrix::Zero(w.A.rows(), 3);
  s.omega = almkit::Vector::Ones(3);
  const almkit::Matrix yhat = predict_series(w, s);
  const almkit::Matrix back = model.scaling.targets.invert(yhat);
  (void)back;
  (void)model_to_json(model).dump();
  return 0;
}
