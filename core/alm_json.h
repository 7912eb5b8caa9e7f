// JSON forms of the ALM options and summary (docs/json.md). Options are
// written field by field through AlmOptions::visit, so every option appears
// with the value used and no field can be forgotten.
#pragma once

#include <nlohmann/json.hpp>

#include "almkit/core/alm.h"

namespace almkit {

/// {"name": value, ...} for any options struct with a visit() member.
template <class Options>
nlohmann::json options_to_json(const Options& options) {
  nlohmann::json j = nlohmann::json::object();
  options.visit([&j](const char* name, const auto& value, const char* /*doc*/) {
    using T = std::decay_t<decltype(value)>;
    if constexpr (std::is_enum_v<T>) j[name] = to_string(value);
    else j[name] = value;
  });
  return j;
}

/// The KKT object: every field of KktReport::visit (core/record.h record_to_json).
nlohmann::json kkt_to_json(const KktReport& kkt);

/// The `almkit solve --json` object: problem, status, message, x, objective,
/// multipliers {equality, inequality, bounds}, kkt {...}, statistics {...},
/// options {...}, history [...].
nlohmann::json summary_to_json(const AlmSummary& summary);

}  // namespace almkit
