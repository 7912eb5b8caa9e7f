#include "almkit/core/vector_json.h"

#include <cmath>
#include <stdexcept>

#include <fmt/core.h>

namespace almkit {

nlohmann::json parse_json_text(const std::string& text, const std::string& path) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("{}: malformed JSON ({})", path, e.what()));
  }
}

Vector read_json_vector(const nlohmann::json& j, const std::string& path, const char* field, Eigen::Index size,
                        const std::string& what) {
  if (!j.is_object()) throw std::invalid_argument(fmt::format("{}: expected a JSON object with field '{}'", path, field));
  if (!j.contains(field)) {
    if (size == 0) return Vector();
    throw std::invalid_argument(fmt::format("{}: missing field '{}' ({} numbers expected)", path, field, size));
  }
  const nlohmann::json& a = j.at(field);
  if (!a.is_array()) throw std::invalid_argument(fmt::format("{}: field '{}' must be an array of numbers", path, field));
  if (static_cast<Eigen::Index>(a.size()) != size)
    throw std::invalid_argument(fmt::format("{}: field '{}' has {} entries, {} {}", path, field, a.size(), what, size));
  Vector v(size);
  for (Eigen::Index i = 0; i < size; ++i) {
    const nlohmann::json& e = a[static_cast<size_t>(i)];
    if (!e.is_number() || !std::isfinite(e.get<double>()))
      throw std::invalid_argument(
          fmt::format("{}: field '{}' entry {} is not a finite number ({})", path, field, i, e.dump()));
    v[i] = e.get<double>();
  }
  return v;
}

}  // namespace almkit
