// Result records serialised from one field list (docs/json.md "Records").
//
// A record (KktReport, EvaluationCounters, AlmIteration, TrainHistoryRow, …)
// lists its fields once, as the options structs do: visit(v) calls
// v(name, field, description) for every field, in the order of the CSV
// columns. The writers below are the only CSV / JSON writers of records, so a
// field added to visit() appears in every format at once (the Python dicts
// come from the same list: python/src/module.cpp record_to_dict).
//
// Field types: bool, integers, double, std::string, an enum with
// to_string(e) (and parse(text, &e) for the readers), or another record (a
// nested JSON object; not allowed in CSV).
#pragma once

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "almkit/core/json_util.h"

namespace almkit {

namespace record_detail {
struct NoopVisitor {
  template <class T>
  void operator()(const char*, T&, const char*) const {}
};
}  // namespace record_detail

/// A type with visit(v) calling v(name, field, description) for every field.
template <class T>
concept Record = requires(const T& r, record_detail::NoopVisitor v) { r.visit(v); };

/// The field names of a record type, in visit() order.
template <Record R>
std::vector<std::string> record_fields() {
  std::vector<std::string> names;
  const R r{};
  r.visit([&](const char* name, const auto&, const char*) { names.emplace_back(name); });
  return names;
}

// ---------------------------------------------------------------- JSON

/// How doubles are written: json_number (non-finite as null, docs/json.md)
/// unless a writer needs exact round trips (core/run_control.h exact_number).
using JsonNumberWriter = nlohmann::json (*)(double);
using JsonNumberReader = double (*)(const nlohmann::json&);

namespace record_detail {
inline nlohmann::json number_or_null(double v) { return json_number(v); }
inline double number_from_json(const nlohmann::json& j) {
  return j.is_null() ? std::numeric_limits<double>::quiet_NaN() : j.get<double>();
}

template <class T>
nlohmann::json field_to_json(const T& value, JsonNumberWriter number);

template <class T>
void field_from_json(const nlohmann::json& j, T& field, JsonNumberReader number, const std::string& what);
}  // namespace record_detail

/// {"name": value, ...} of a field list: fields(v) calls v(name, field,
/// description) for every field (a record's visit, or a second list of the
/// same struct such as AlmSummary::visit_statistics).
template <class Fields>
nlohmann::json fields_to_json(const Fields& fields, JsonNumberWriter number = record_detail::number_or_null) {
  nlohmann::json j = nlohmann::json::object();
  auto add = [&](const char* name, const auto& field, const char*) { j[name] = record_detail::field_to_json(field, number); };
  fields(add);
  return j;
}

/// {"name": value, ...} of every field of visit() (nested records as objects).
template <Record R>
nlohmann::json record_to_json(const R& r, JsonNumberWriter number = record_detail::number_or_null) {
  return fields_to_json([&r](auto& v) { r.visit(v); }, number);
}

/// [value, ...] in visit() order: the compact form of checkpoint history rows.
template <Record R>
nlohmann::json record_to_json_array(const R& r, JsonNumberWriter number = record_detail::number_or_null) {
  nlohmann::json a = nlohmann::json::array();
  r.visit([&](const char*, const auto& field, const char*) { a.push_back(record_detail::field_to_json(field, number)); });
  return a;
}

/// Reads every field of visit() from an object written by record_to_json;
/// throws std::invalid_argument "<what>: missing field 'name'" (or naming the
/// field whose value has the wrong type).
template <Record R>
void record_from_json(const nlohmann::json& j, R* r, const std::string& what,
                      JsonNumberReader number = record_detail::number_from_json) {
  if (!j.is_object()) throw std::invalid_argument(fmt::format("{}: expected an object, got {}", what, j.dump()));
  r->visit([&](const char* name, auto& field, const char*) {
    if (!j.contains(name)) throw std::invalid_argument(fmt::format("{}: missing field '{}'", what, name));
    record_detail::field_from_json(j.at(name), field, number, fmt::format("{}.{}", what, name));
  });
}

/// Reads an array written by record_to_json_array (exactly one entry per field).
template <Record R>
void record_from_json_array(const nlohmann::json& a, R* r, const std::string& what,
                            JsonNumberReader number = record_detail::number_from_json) {
  const size_t n = record_fields<R>().size();
  if (!a.is_array() || a.size() != n)
    throw std::invalid_argument(fmt::format("{}: expected an array of {} entries, got {}", what, n, a.dump()));
  size_t i = 0;
  r->visit([&](const char* name, auto& field, const char*) {
    record_detail::field_from_json(a[i++], field, number, fmt::format("{}.{}", what, name));
  });
}

namespace record_detail {

template <class T>
nlohmann::json field_to_json(const T& value, JsonNumberWriter number) {
  if constexpr (Record<T>) return record_to_json(value, number);
  else if constexpr (std::is_enum_v<T>) return to_string(value);
  else if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T> || std::is_same_v<T, std::string>) return value;
  else if constexpr (std::is_floating_point_v<T>) return number(static_cast<double>(value));
  else static_assert(std::is_void_v<T>, "record field: bool, integer, double, string, enum or record");
}

template <class T>
void field_from_json(const nlohmann::json& j, T& field, JsonNumberReader number, const std::string& what) {
  try {
    if constexpr (Record<T>) {
      record_from_json(j, &field, what, number);
    } else if constexpr (std::is_enum_v<T>) {
      if (!j.is_string() || !parse(j.get<std::string>(), &field))
        throw std::invalid_argument(fmt::format("{}: unknown value {}", what, j.dump()));
    } else if constexpr (std::is_floating_point_v<T>) {
      field = static_cast<T>(number(j));
    } else {
      field = j.get<T>();
    }
  } catch (const nlohmann::json::exception&) {
    throw std::invalid_argument(fmt::format("{}: unexpected value {}", what, j.dump()));
  }
}

}  // namespace record_detail

// ---------------------------------------------------------------- CSV

/// The CSV header line of a record type (its visit() names, comma-separated, no newline).
template <Record R>
std::string csv_header() {
  std::string s;
  for (const std::string& name : record_fields<R>()) (s.empty() ? s : s += ',') += name;
  return s;
}

/// One CSV line (no newline): integers as such, doubles with 17 significant
/// digits ("nan", "inf" when not finite; they read back exactly), bools 0/1,
/// enums by to_string, strings quoted when they hold a comma, quote or newline.
template <Record R>
std::string csv_row(const R& r) {
  std::string s;
  bool first = true;
  r.visit([&](const char*, const auto& field, const char*) {
    using T = std::decay_t<decltype(field)>;
    if (!first) s += ',';
    first = false;
    if constexpr (std::is_same_v<T, bool>) s += field ? '1' : '0';
    else if constexpr (std::is_enum_v<T>) s += to_string(field);
    else if constexpr (std::is_integral_v<T>) s += fmt::format("{}", field);
    else if constexpr (std::is_floating_point_v<T>)
      s += std::isnan(field) ? std::string("nan") : fmt::format("{:.17g}", static_cast<double>(field));
    else if constexpr (std::is_same_v<T, std::string>) {
      if (field.find_first_of(",\"\n\r") == std::string::npos) s += field;
      else {
        s += '"';
        for (char c : field) (c == '"' ? s += "\"\"" : s += c);
        s += '"';
      }
    } else static_assert(std::is_void_v<T>, "CSV record field: bool, integer, double, string or enum");
  });
  return s;
}

/// Header and one line per row, each ending in a newline.
template <Record R>
std::string csv_table(const std::vector<R>& rows) {
  std::string s = csv_header<R>() + '\n';
  for (const R& r : rows) (s += csv_row(r)) += '\n';
  return s;
}

}  // namespace almkit
