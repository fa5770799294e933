#include "cli/cli.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace epsim::cli {

FlagParser::FlagParser(std::string command, std::string summary)
    : command_(std::move(command)), summary_(std::move(summary)) {}

void FlagParser::Bool(std::string name, bool* out, std::string help) {
  flags_.push_back(
      {std::move(name), "bool", std::move(help), [out](const std::string& v) {
         if (v.empty() || v == "true" || v == "1") {
           *out = true;
         } else if (v == "false" || v == "0") {
           *out = false;
         } else {
           return false;
         }
         return true;
       }});
}

void FlagParser::String(std::string name, std::string* out, std::string help) {
  flags_.push_back(
      {std::move(name), "string", std::move(help), [out](const std::string& v) {
         *out = v;
         return true;
       }});
}

void FlagParser::Int(std::string name, int64_t* out, std::string help) {
  flags_.push_back(
      {std::move(name), "int", std::move(help),
       [out](const std::string& v) { return absl::SimpleAtoi(v, out); }});
}

void FlagParser::Double(std::string name, double* out, std::string help) {
  flags_.push_back(
      {std::move(name), "double", std::move(help),
       [out](const std::string& v) { return absl::SimpleAtod(v, out); }});
}

void FlagParser::Positional(std::string name, std::string* out,
                            std::string help, bool required) {
  positionals_.push_back({std::move(name), std::move(help), required, out});
}

void FlagParser::Rest(std::string name, std::vector<std::string>* out,
                      std::string help) {
  rest_name_ = std::move(name);
  rest_help_ = std::move(help);
  rest_ = out;
}

absl::Status FlagParser::Parse(const std::vector<std::string>& args) {
  size_t next_positional = 0;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      help_requested_ = true;
      return absl::CancelledError(Usage());
    }
    if (arg.size() > 2 && arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2);
      std::string value;
      bool has_value = false;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      const Flag* flag = nullptr;
      for (const Flag& f : flags_) {
        if (f.name == name) flag = &f;
      }
      if (flag == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown flag --", name));
      }
      if (!has_value && flag->kind != "bool") {
        if (i + 1 >= args.size()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "flag --", name, " expects a ", flag->kind, " value"));
        }
        value = args[++i];
      }
      if (!flag->set(value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "flag --", name, ": \"", value, "\" is not a valid ", flag->kind));
      }
      continue;
    }
    if (next_positional < positionals_.size()) {
      *positionals_[next_positional++].out = arg;
    } else if (rest_ != nullptr) {
      rest_->push_back(arg);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument \"", arg, "\""));
    }
  }
  for (size_t i = next_positional; i < positionals_.size(); ++i) {
    if (positionals_[i].required) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing argument ", positionals_[i].name));
    }
  }
  return absl::OkStatus();
}

std::string FlagParser::Usage() const {
  std::string out = absl::StrCat("usage: ", command_);
  for (const Arg& a : positionals_) {
    absl::StrAppend(&out, a.required ? " " : " [", a.name,
                    a.required ? "" : "]");
  }
  if (rest_ != nullptr) absl::StrAppend(&out, " [", rest_name_, "...]");
  if (!flags_.empty()) absl::StrAppend(&out, " [flags]");
  absl::StrAppend(&out, "\n\n", summary_, "\n");
  if (!positionals_.empty() || rest_ != nullptr) {
    absl::StrAppend(&out, "\narguments:\n");
    for (const Arg& a : positionals_) {
      absl::StrAppend(&out, absl::StrFormat("  %-22s %s\n", a.name, a.help));
    }
    if (rest_ != nullptr) {
      absl::StrAppend(&out,
                      absl::StrFormat("  %-22s %s\n", rest_name_, rest_help_));
    }
  }
  if (!flags_.empty()) {
    absl::StrAppend(&out, "\nflags:\n");
    for (const Flag& f : flags_) {
      std::string left = absl::StrCat(
          "--", f.name, f.kind == "bool" ? "" : absl::StrCat(" ", f.kind));
      absl::StrAppend(&out, absl::StrFormat("  %-22s %s\n", left, f.help));
    }
  }
  return out;
}

int FlagParser::Fail(const absl::Status& status) const {
  if (help_requested_) {
    std::cout << Usage();
    return kExitOk;
  }
  std::cerr << command_ << ": " << status.message() << "\n"
            << "(see " << command_ << " --help)\n";
  return kExitBadInput;
}

namespace {
int64_t MonotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

ProgressLine::ProgressLine(bool quiet)
    : enabled_(!quiet && isatty(STDERR_FILENO)) {}

ProgressLine::~ProgressLine() { Finish(); }

void ProgressLine::Update(const std::string& text) {
  if (!enabled_) return;
  const int64_t now = MonotonicNanos();
  if (now - last_draw_ns_ < 100'000'000) return;
  last_draw_ns_ = now;
  std::string line = text;
  if (line.size() < last_width_) line.append(last_width_ - line.size(), ' ');
  last_width_ = text.size();
  std::fprintf(stderr, "\r%s", line.c_str());
  std::fflush(stderr);
}

void ProgressLine::Finish() {
  if (!enabled_ || last_width_ == 0) return;
  std::fprintf(stderr, "\r%s\r", std::string(last_width_, ' ').c_str());
  std::fflush(stderr);
  last_width_ = 0;
}

}  // namespace epsim::cli
