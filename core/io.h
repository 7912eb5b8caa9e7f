// File output helpers shared by the command line and the trainers.
#pragma once

#include <string>

namespace almkit {

/// Writes content to path atomically: a temporary file in the same folder,
/// flushed, then renamed over path (readers never see a half-written file).
/// Creates missing parent folders. Throws std::runtime_error naming the path.
void write_file_atomically(const std::string& path, const std::string& content);

/// Reads a whole file; throws std::invalid_argument "cannot open <path>: <reason>".
std::string read_file(const std::string& path);

}  // namespace almkit
