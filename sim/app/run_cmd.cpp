#include "app/run_cmd.hpp"

#include <tbb/global_control.h>

#include <algorithm>
#include <optional>

#include "app/cli.hpp"
#include "app/progress.hpp"
#include "diag/diagnostic.hpp"
#include "output/csv.hpp"
#include "output/results_stream.hpp"
#include "output/run_json.hpp"
#include "output/summary.hpp"
#include "run/runner.hpp"

namespace clustersim::app {

namespace fs = std::filesystem;

namespace {

/// Runs of at most this many rows keep their results to print the summary tables; larger sweeps
/// stream in bounded memory and are read from results.csv.
constexpr std::size_t summary_rows = 2000;

std::string plural(std::size_t n, const char* one) { return std::to_string(n) + " " + one + (n == 1 ? "" : "s"); }

/// How this process's part of the run ended.
enum class ShardEnd { written, already_complete, stopped };

/// This process's part of the run: its shard's rows, resumed or fresh, streamed to its folder.
ShardEnd run_shard(const std::vector<scenario::Scenario>& scenarios, const std::string& run_json, const output::Shard& shard,
                   const fs::path& shard_dir, const RunOptions& o, const RunContext& ctx, std::ostream& out, std::ostream& err) {
    std::size_t total = 0;
    for (const auto& s : scenarios) total += s.cases.size();
    const std::size_t first = shard.first_row(total);
    const std::size_t count = shard.rows(total);
    // Global row g is case g - offset[s] of scenario s.
    std::vector<std::size_t> offset;
    for (std::size_t s = 0, at = 0; s < scenarios.size(); at += scenarios[s].cases.size(), ++s) offset.push_back(at);
    auto locate = [&](std::size_t g) {
        std::size_t s = scenarios.size() - 1;
        while (offset[s] > g) --s;
        return std::pair{s, g - offset[s]};
    };
    const auto expected = [&](std::size_t k) {
        const auto [s, i] = locate(first + k);
        return output::csv_field(scenarios[s].name) + "," + output::csv_field(scenarios[s].cases[i].name) + ",";
    };
    output::ResultsStream stream(shard_dir, output::results_header(), run_json, o.resume, count, expected);
    if (stream.complete()) {
        out << (shard_dir / "results.csv").string() << " is already complete (" << plural(count, "row") << ")\n";
        return ShardEnd::already_complete;
    }
    if (o.resume && !o.quiet) {
        err << (stream.resumed() ? "resuming after " + plural(stream.rows(), "row") + " of " + std::to_string(count)
                                 : std::string("nothing to resume in ") + shard_dir.string() + ": starting")
            << "\n";
    }
    const bool collect = shard.whole() && !stream.resumed() && o.max_rows == 0 && total <= summary_rows;
    std::vector<run::RunResult> collected;
    Progress progress(err, count, stream.rows(), ctx.stderr_is_terminal && !o.quiet && ctx.rank == 0);
    std::size_t new_rows = 0;
    bool stopped = false;
    for (std::size_t g = first + stream.rows(); g < first + count && !stopped;) {
        const auto [s, begin] = locate(g);
        const auto& sc = scenarios[s];
        const std::size_t end = std::min(sc.cases.size(), begin + (first + count - g));
        if (collect) collected.push_back(run::RunResult{sc.name, {}});
        run::StreamHooks hooks;
        hooks.row = [&](std::size_t, run::CaseResult& row, const run::CaseResult* baseline) {
            stream.append(output::results_row(row, baseline), 1);
            if (collect) collected.back().cases.push_back(std::move(row));
            ++new_rows;
            stopped = o.max_rows > 0 && new_rows >= o.max_rows && stream.rows() < count;
            return !stopped;
        };
        hooks.chunk_done = [&] { stream.flush(); };
        hooks.case_done = [&] { progress.add(); };
        run::stream_scenario(sc, begin, end, hooks);
        g += end - begin;
    }
    progress.stop();
    stream.flush();
    if (stopped) {
        out << "stopped after " << plural(new_rows, "new row") << ": " << stream.rows() << " of " << count << " in "
            << stream.partial_path().string() << "; continue with --resume\n";
        return ShardEnd::stopped;
    }
    stream.finish();
    if (!o.quiet) {
        for (std::size_t s = 0; s < collected.size(); ++s)
            out << output::summary_text(collected[s]) << output::crossover_text(run::crossovers(scenarios[s], collected[s])) << "\n";
    }
    if (!collect && !o.quiet && shard.whole() && ctx.size == 1)
        out << "(" << plural(total, "row") << ": summary tables are printed for runs of at most " << summary_rows
            << " rows computed at once; read results.csv)\n";
    if (!o.quiet && ctx.rank == 0) {
        for (const auto& sc : scenarios) {
            const auto n = std::count_if(sc.cases.begin(), sc.cases.end(), [](const auto& c) { return c.comm.has_value(); });
            if (n > 0)
                out << "(" << plural(static_cast<std::size_t>(n), "case") << " of " << sc.file.string()
                    << " with a comm section: 'clustersim comm " << sc.file.string() << "' runs the benchmarks)\n";
        }
    }
    return ShardEnd::written;
}

}  // namespace

fs::path output_dir(const RunOptions& o) {
    if (!o.out_dir.empty()) return o.out_dir;
    return o.files.size() == 1 ? fs::path("out") / fs::path(o.files.front()).stem() : fs::path("out") / "run";
}

int run_scenarios(const std::vector<scenario::Scenario>& scenarios, const fs::path& models,
                  const std::vector<fs::path>& catalog_files, const RunOptions& o, const RunContext& ctx, std::ostream& out,
                  std::ostream& err) {
    output::Shard shard;
    if (!o.shard.empty()) {
        if (!output::parse_shard(o.shard, shard)) {
            err << "clustersim run: --shard takes K/N with 1 <= K <= N <= " << output::max_shards << " (e.g. 2/4), got '" << o.shard
                << "'\n";
            return exit_usage;
        }
        if (ctx.size > 1) {
            err << "clustersim run: --shard splits a run across jobs, mpirun across ranks: use one or the other\n";
            return exit_usage;
        }
    }
    if (ctx.size > 1) shard = {static_cast<std::size_t>(ctx.rank) + 1, static_cast<std::size_t>(ctx.size)};
    std::optional<tbb::global_control> limit;
    if (o.threads > 0) limit.emplace(tbb::global_control::max_allowed_parallelism, o.threads);

    const fs::path dir = output_dir(o);
    const fs::path shard_dir = shard.whole() ? dir : dir / shard.folder();
    std::size_t total = 0;
    for (const auto& s : scenarios) total += s.cases.size();
    std::vector<fs::path> inputs(o.files.begin(), o.files.end());
    // Each rank catches its own errors so that every rank reaches the reduction below.
    int code = exit_ok;
    ShardEnd end = ShardEnd::stopped;
    try {
        const auto provenance = output::collect_provenance(inputs, models, catalog_files);
        end = run_shard(scenarios, output::run_json(provenance, total, shard.whole() ? nullptr : &shard), shard, shard_dir, o,
                             ctx, out, err);
    } catch (const diag::IoError& e) {
        err << e.what() << "\n";
        code = exit_io;
    } catch (const std::exception& e) {
        if (ctx.size == 1) throw;  // run_cli reports it
        err << "clustersim: internal error: " << e.what() << "\n";
        code = exit_internal;
    }
    if (ctx.size > 1) {
        code = ctx.max_over_ranks(code);
        const bool finished = ctx.max_over_ranks(end == ShardEnd::stopped ? 1 : 0) == 0;
        if (code != exit_ok || !finished) {
            if (ctx.rank == 0 && code != exit_ok) err << "clustersim run: a rank failed; the shards in " << dir.string() << " are not merged\n";
            return code;
        }
        if (ctx.rank != 0) return exit_ok;
        try {
            const std::size_t rows = output::merge_shards(dir);
            for (std::size_t k = 1; k <= shard.count; ++k) fs::remove_all(dir / output::Shard{k, shard.count}.folder());
            out << "wrote " << (dir / "results.csv").string() << " (" << plural(rows, "row") << " from " << ctx.size
                << " MPI ranks) and " << (dir / "run.json").string() << "\n";
        } catch (const diag::IoError& e) {
            err << e.what() << "\n";
            return exit_io;
        }
        return exit_ok;
    }
    if (code != exit_ok || end != ShardEnd::written) return code;
    if (shard.whole()) {
        out << "wrote " << (dir / "results.csv").string() << " (" << plural(total, "row") << ") and " << (dir / "run.json").string()
            << "\n";
    } else {
        out << "wrote " << (shard_dir / "results.csv").string() << " (rows " << shard.first_row(total) + 1 << "-"
            << shard.first_row(total) + shard.rows(total) << " of " << total << "); when every shard is done: clustersim merge "
            << dir.string() << "\n";
    }
    return exit_ok;
}

int merge_run(const fs::path& dir, std::ostream& out) {
    const std::size_t rows = output::merge_shards(dir);
    out << "wrote " << (dir / "results.csv").string() << " (" << plural(rows, "row") << ") and " << (dir / "run.json").string()
        << "\n";
    return exit_ok;
}

}  // namespace clustersim::app
