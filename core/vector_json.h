// Numeric vectors read from user JSON files: the point and multiplier files of
// `almkit verify` (docs/verification.md §7). Kept free of the CLI so the fuzz
// harness fuzz/fuzz_verify_json.cpp runs exactly this code.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "almkit/core/types.h"

namespace almkit {

/// Parses JSON text; throws std::invalid_argument "<path>: malformed JSON (...)".
nlohmann::json parse_json_text(const std::string& text, const std::string& path);

/// The array `field` of the object `j` as `size` finite numbers. A missing
/// field is an empty vector when size == 0. Throws std::invalid_argument
/// naming the file (`path`), the field and, for a wrong length, `what`
/// (e.g. "problem 'hs071' has 4 variables:").
Vector read_json_vector(const nlohmann::json& j, const std::string& path, const char* field, Eigen::Index size,
                        const std::string& what);

}  // namespace almkit
