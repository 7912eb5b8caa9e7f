#include "run_resume.h"

#include <algorithm>
#include <filesystem>

#include <fmt/core.h>

#include "almkit/core/io.h"
#include "almkit/core/run_control.h"
#include "commands.h"

namespace almkit::cli {

FolderLock lock_output_folder(const std::string& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec))
    throw UsageError(fmt::format("--out {}: exists and is not a folder (expected an output folder)", out));
  FolderLock lock;
  long pid = 0;
  try {
    if (lock.try_lock(out, &pid)) return lock;
  } catch (const std::runtime_error& e) {
    throw UsageError(fmt::format("--out {}: {}", out, e.what()));
  }
  throw UsageError(fmt::format("--out {}: another almkit run{} is writing to this folder (it holds {}/{}); wait for "
                               "it to end or choose another --out (docs/interruption.md §6)",
                               out, pid > 0 ? fmt::format(" (PID {})", pid) : std::string(), out,
                               FolderLock::kFileName));
}

std::vector<std::string> given_arguments(const CLI::App* sub, const std::vector<std::string>& skip) {
  std::vector<std::string> out;
  for (const CLI::Option* opt : sub->get_options()) {
    if (opt->count() == 0) continue;
    const std::string name = opt->get_name();
    if (name.rfind("--", 0) != 0 || std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
    if (opt->get_expected_max() == 0) {  // a flag (CLI11: expected(0))
      out.push_back(name);
      continue;
    }
    for (const auto& value : opt->results()) {
      out.push_back(name);
      out.push_back(value);
    }
  }
  return out;
}

bool only_flags_given(const CLI::App* sub, const std::vector<std::string>& run_flags) {
  for (const CLI::Option* opt : sub->get_options()) {
    if (opt->count() == 0) continue;
    const std::string name = opt->get_name();
    if (name.rfind("--", 0) != 0) continue;
    if (std::find(run_flags.begin(), run_flags.end(), name) == run_flags.end()) return false;
  }
  return true;
}

void rerun_command(const std::string& command, void (*register_command)(CLI::App&), const std::vector<std::string>& args) {
  CLI::App app;
  app.require_subcommand(1);
  register_command(app);
  std::vector<std::string> reversed{command};
  reversed.insert(reversed.end(), args.begin(), args.end());
  std::reverse(reversed.begin(), reversed.end());
  app.parse(reversed);
}

nlohmann::json read_checkpoint(const std::string& dir, const char* format) {
  const std::string path = (std::filesystem::path(dir) / "checkpoint.json").string();
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::exception& e) {
    throw UsageError(fmt::format("--resume {}: no checkpoint ({})", dir, e.what()));
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("{}: malformed JSON ({})", path, e.what()));
  }
  if (!j.is_object() || j.value("format", std::string()) != format)
    throw UsageError(fmt::format("{}: not a checkpoint of this command (field 'format' must be \"{}\")", path, format));
  return j;
}

void require_same_options(const std::string& dir, const nlohmann::json& saved, const nlohmann::json& now,
                          const std::vector<std::string>& ignore) {
  const std::string diff = first_json_difference(saved, now, ignore);
  if (!diff.empty())
    throw UsageError(fmt::format(
        "--resume {}: option {} (a resumed run must use the interrupted run's options; give --resume DIR alone "
        "to reuse them)",
        dir, diff));
}

bool handle_resume(const CLI::App* sub, const std::string& resume, std::string& out, const char* format,
                   const std::vector<std::string>& run_flags, const std::string& command,
                   void (*register_command)(CLI::App&), nlohmann::json* checkpoint) {
  if (resume.empty()) return false;
  *checkpoint = read_checkpoint(resume, format);
  if (sub->count("--out") > 0 && out != resume) throw UsageError("--out and --resume name different folders");
  out = resume;
  if (!only_flags_given(sub, run_flags) || !checkpoint->contains("arguments")) return false;
  // The checkpoint's flags, except those given now (--resume DIR and run
  // flags such as --threads N): a run flag given now replaces the saved one
  // together with its values, so `--resume DIR --threads 1` after a run with
  // `--threads 2` parses as one --threads option.
  const std::vector<std::string> saved = (*checkpoint)["arguments"].get<std::vector<std::string>>();
  const std::vector<std::string> given = given_arguments(sub, {"--out"});
  std::vector<std::string> args;
  for (size_t i = 0; i < saved.size(); ++i) {
    const bool replaced = saved[i].rfind("--", 0) == 0 && std::find(given.begin(), given.end(), saved[i]) != given.end();
    if (!replaced) {
      args.push_back(saved[i]);
      continue;
    }
    while (i + 1 < saved.size() && saved[i + 1].rfind("--", 0) != 0) ++i;  // its values
  }
  args.insert(args.end(), given.begin(), given.end());
  args.push_back("--rerun-with-checkpoint-arguments");
  rerun_command(command, register_command, args);
  return true;
}

}  // namespace almkit::cli
