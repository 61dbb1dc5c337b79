#pragma once
// `clustersim run`: streams every row of the scenarios to DIR/results.csv in case order, with a
// progress line, resumable after a kill (--resume), split into shards (--shard K/N, or one shard
// per MPI rank) that `clustersim merge` joins into the same bytes.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "scenario/scenario.hpp"

namespace clustersim::app {

/// How the process was started: its MPI rank among `size` (1 without MPI), a reduction over the
/// ranks (a barrier that returns the largest of each rank's value), and whether stderr is a terminal.
struct RunContext {
    int rank = 0;
    int size = 1;
    std::function<int(int)> max_over_ranks;
    bool stderr_is_terminal = false;
};

struct RunOptions {
    std::vector<std::string> files;
    std::string out_dir;
    std::size_t threads = 0;
    bool quiet = false;
    bool resume = false;
    std::string shard;          ///< "K/N", or empty
    std::size_t max_rows = 0;   ///< stop after this many new rows (0: no limit)
};

/// The output directory: --out, else out/<file stem> for one file, else out/run.
std::filesystem::path output_dir(const RunOptions& o);

/// Runs loaded scenarios; `models` and `catalog_files` are hashed into run.json.
int run_scenarios(const std::vector<scenario::Scenario>& scenarios, const std::filesystem::path& models,
                  const std::vector<std::filesystem::path>& catalog_files, const RunOptions& o, const RunContext& ctx,
                  std::ostream& out, std::ostream& err);

/// `clustersim merge DIR`: joins DIR/shard-K-of-N/ into DIR/results.csv and DIR/run.json.
int merge_run(const std::filesystem::path& dir, std::ostream& out);

}  // namespace clustersim::app
