// farmwatch nightly (one unattended night of an area) and farmwatch month.
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <iostream>
#include <regex>

#include "farmwatch/core/error.h"
#include "farmwatch/core/text_encoding.h"
#include "farmwatch/pipeline/steps/nightly.h"
#include "step_options.h"

namespace farmwatch::cli {

namespace {

/// One JSON object per line: time, level, run_id, stage, scene, message and, when the message
/// gives one ("in 1.2 s"), seconds.
Log json_log(LogLevel level, std::string run_id) {
  return Log(
      [run_id](LogLevel l, const std::string& text) {
        static const char* names[] = {"debug", "info", "warning", "error"};
        static const std::regex prefix(R"(^\[([^\]]*)\] (.*)$)");
        static const std::regex secs(R"(in ([0-9.]+) s)");
        nlohmann::json j = {{"time", std::string()},
                            {"level", names[static_cast<int>(l)]},
                            {"run_id", run_id}};
        const std::time_t t = std::time(nullptr);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        j["time"] = buf;
        std::smatch m;
        std::string message = text;
        if (std::regex_match(text, m, prefix)) {
          const std::string stage = m[1].str();
          message = m[2].str();
          if (stage.rfind("scene ", 0) == 0) {
            j["stage"] = "scene";
            j["scene"] = stage.substr(6);
          } else {
            j["stage"] = stage;
          }
        } else {
          j["stage"] = "nightly";
        }
        if (std::smatch s; std::regex_search(message, s, secs)) j["seconds"] = std::stod(s[1].str());
        j["message"] = message;
        std::cerr << (j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n")
                  << std::flush;  // one write per line: stages log from several threads
      },
      level);
}

}  // namespace

int cmd_nightly(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::NightlyParams>(
      {"nightly", "nightly <area.yaml> [--wait] [--dry-run] [--log-format text|json] "
                  "[--shard i/N | --merge N]",
       "One unattended night of an area: finds the scenes delivered to its inbox, compares\n"
       "each new one with the latest clear view of every place, records patches and scenes\n"
       "in the monitoring database and publishes the one map into publish/runs/<run id>/,\n"
       "switching publish/current to it. Exit codes: 0 done (or nothing new), 6 partial\n"
       "(some scenes failed), 75 another night holds the lock, 3 bad area file, 4 bad\n"
       "input, 5 failure (disk full...): state, database and current are kept.\n"
       "On a cluster, --shard i/N compares shard i's cells of the next scene and --merge N\n"
       "records it; repeat while scenes are left (scripts/slurm/nightly.sh does this).",
       {"area"}},
      args, common);
  if (!p) return 0;
  // A night's log is read the next morning: events at info level unless -q.
  const LogLevel level = common.quiet ? LogLevel::error
                         : common.verbose == 2 ? LogLevel::debug
                                               : LogLevel::info;
  const std::string run_id = pipeline::new_run_id();
  if (p->log_format == "json") {
    cli_log() = json_log(level, run_id);
  } else {
    Log base = cli_log();
    cli_log() = Log(
        [run_id](LogLevel l, const std::string& m) {
          static const char* names[] = {"debug: ", "", "warning: ", "error: "};
          std::cerr << "farmwatch: " << run_id << " " << names[static_cast<int>(l)]
                    << terminal_safe(m) << "\n";
        },
        level);
  }
  // A progress bar only for a person watching: stderr a terminal, text logs.
  std::function<void(std::size_t, std::size_t, const std::string&)> progress;
  if (::isatty(STDERR_FILENO) && p->log_format == "text")
    progress = [](std::size_t k, std::size_t n, const std::string& scene) {
      const std::size_t width = 30, done = n ? k * width / n : width;
      std::cerr << "\r[" << std::string(done, '#') << std::string(width - done, '-') << "] " << k
                << "/" << n << " " << scene << "\033[K" << (k == n ? "\n" : "") << std::flush;
    };
  const auto r = pipeline::nightly(*p, {common.threads, cli_log()}, progress);
  if (p->dry_run) {
    for (const auto& s : r.summary["scenes"])
      std::cout << s["action"].get<std::string>() << "  " << s["product_id"].get<std::string>()
                << "  " << s["acquired"].get<std::string>() << "  " << s["path"].get<std::string>()
                << (s.contains("reason") ? "  (" + s["reason"].get<std::string>() + ")" : "")
                << "\n";
    return kExitOk;
  }
  if (!p->shard && r.scenes_left)
    std::cout << "recorded " << r.summary["scenes"].size() << " scene(s); " << r.scenes_left
              << " left to compare: run the shards again, then merge\n";
  if (!r.nothing_new && r.summary.contains("patches"))
    std::cout << "published run " << r.summary["run_id"].get<std::string>() << ": "
              << r.summary["patches"]["total"] << " patches\n";
  return r.exit_code;
}

int cmd_month(const std::vector<std::string>& args) {
  CommonOptions common;
  const auto p = parse_step<pipeline::MonthParams>(
      {"month", "month <YYYY-MM> --db DB --out DIR",
       "A month from the monitoring database: per unit the patches found, persisting,\n"
       "reverted and handled, and the area with no clear view that month.",
       {"month"}},
      args, common);
  if (!p) return 0;
  const auto s = pipeline::month(*p, {common.threads, cli_log()});
  std::cout << "month " << s["month"].get<std::string>() << ": " << s["patches"]
            << " patches; no clear view of " << s["blind_area_m2"] << " m2 ("
            << s["blind_share"] << " of the area)\n";
  for (const auto& u : s["units"])
    std::cout << "  " << u["unit_name"].get<std::string>() << ": found " << u["found"]
              << ", persisting " << u["persisting"] << ", handled " << u["handled"]
              << ", blind " << u["blind_share"] << "\n";
  return kExitOk;
}

}  // namespace farmwatch::cli
