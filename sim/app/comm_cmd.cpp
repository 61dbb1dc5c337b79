#include "app/comm_cmd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "app/cli.hpp"
#include "comm/error.hpp"
#include "diag/suggest.hpp"
#include "output/atomic_file.hpp"
#include "output/comm_csv.hpp"
#include "output/table.hpp"
#include "run/comm_bench.hpp"
#include "topo/topology.hpp"
#include "units/format.hpp"
#include "units/parse.hpp"

namespace clustersim::app {
namespace {

std::string render(const run::CommBenchmark& b) {
    output::Table levels;
    levels.header = {"level", "plane", "group size", "cost per level"};
    for (const auto& l : b.levels) levels.rows.push_back({l.name, l.plane, std::to_string(l.group_size), l.preset});
    output::Table t;
    t.header = {"size", "algorithm", "time", "algbw", "busbw", "bottleneck (utilisation)"};
    t.right_aligned = {true, false, true, true, true, false};
    for (const auto& r : b.rows) {
        t.rows.push_back({units::format_binary_bytes(r.bytes.si()), r.algorithm, units::format_si(r.time.si(), units::Dimension::time),
                          units::format_si(r.algbw.si(), units::Dimension::data_rate),
                          units::format_si(r.busbw.si(), units::Dimension::data_rate),
                          r.bottleneck.empty() ? "-" : fmt::format("{} ({:.2f})", r.bottleneck, r.bottleneck_utilisation)});
    }
    return fmt::format("{} on {}: {} groups of {} ranks (stride {}) on {} chips, every group at once; NCCL conventions\n\n",
                       comm::to_string(b.spec.kind), b.case_name, b.groups, b.group_size, b.spec.stride, b.chips) +
           levels.render() + "\n" + t.render();
}

int finish(const std::string& scenario, const std::vector<run::CommBenchmark>& benchmarks, const CommOptions& o,
           std::ostream& out) {
    std::size_t rows = 0;
    for (std::size_t i = 0; i < benchmarks.size(); ++i) {
        out << (i > 0 ? "\n" : "") << render(benchmarks[i]);
        rows += benchmarks[i].rows.size();
    }
    if (!o.out_dir.empty()) {
        const auto path = std::filesystem::path(o.out_dir) / "comm.csv";
        output::write_files_atomically({{path, output::comm_csv(scenario, benchmarks)}});
        out << "wrote " << path.string() << " (" << rows << " rows)\n";
    }
    return exit_ok;
}

}  // namespace

bool is_scenario_target(const std::string& target) {
    const std::filesystem::path p(target);
    return p.extension() == ".yaml" || p.extension() == ".yml" || std::filesystem::is_regular_file(p);
}

int run_comm(const catalog::Catalog& cat, const CommOptions& o, std::ostream& out, std::ostream& err) {
    const auto it = cat.systems.find(o.target);
    if (it == cat.systems.end() || !it->second.topology) {
        std::vector<std::string> with;
        for (const auto& [id, s] : cat.systems) {
            if (s.topology) with.push_back(id);
        }
        err << "error: " << (it == cat.systems.end() ? "unknown system '" + o.target + "'" + diag::did_you_mean(o.target, with)
                                                     : "system '" + o.target + "' has no topology")
            << "; systems with a topology: " << diag::join_names(with) << " (or a scenario file with comm sections)\n";
        return exit_usage;
    }
    comm::BenchmarkSpec spec;
    if (const auto kind = comm::collective_from_string(o.collective)) {
        spec.kind = *kind;
    } else {
        const auto names = comm::collective_names();
        err << "error: --collective: unknown collective '" << o.collective << "'" << diag::did_you_mean(o.collective, names)
            << "; valid: " << diag::join_names(names) << "\n";
        return exit_usage;
    }
    auto size = [&err](const std::string& text, const char* flag) -> std::optional<double> {
        auto r = units::parse_si(text, units::Dimension::data);
        if (auto* msg = std::get_if<std::string>(&r)) {
            err << "error: " << flag << ": " << *msg << "\n";
            return std::nullopt;
        }
        return std::get<double>(r);
    };
    const auto min_bytes = size(o.min_size, "--min");
    const auto max_bytes = size(o.max_size, "--max");
    if (!min_bytes || !max_bytes) return exit_usage;
    if (*min_bytes <= 0 || *max_bytes < *min_bytes || !(o.factor > 1.0)) {
        err << "error: sizes: need 0 < --min <= --max and --factor > 1\n";
        return exit_usage;
    }
    spec.group_size = o.group_size;
    spec.stride = o.stride;
    spec.sizes = comm::SweepSpec{units::Bytes(*min_bytes), units::Bytes(*max_bytes), o.factor};
    spec.algorithm = o.algorithm;

    const auto& system = it->second;
    const topo::Topology topology = topo::build(system.topology->params);
    try {
        auto b = run::run_comm_benchmark(cat.chips.at(system.chip_id), topology,
                                         static_cast<std::int64_t>(topology.accelerator_count()), spec);
        b.case_name = o.target;
        b.system_id = o.target;
        return finish("", {b}, o, out);
    } catch (const comm::CommError& e) {
        err << "error: " << e.what() << "\n";
        return exit_usage;
    }
}

int run_comm(const scenario::Scenario& sc, const CommOptions& o, std::ostream& out, std::ostream& err) {
    if (!o.given.empty()) {
        err << "error: " << diag::join_names(o.given) << ": a scenario's comm sections set the benchmark; only -o applies"
            << " (docs/scenario-format.md#collective-benchmarks)\n";
        return exit_usage;
    }
    const bool any = std::any_of(sc.cases.begin(), sc.cases.end(), [](const auto& c) { return c.comm.has_value(); });
    if (!any) {
        err << "error: " << sc.file.string() << ": no case has a 'comm' section (docs/scenario-format.md#collective-benchmarks)\n";
        return exit_usage;
    }
    try {
        return finish(sc.name, run::run_comm_benchmarks(sc), o, out);
    } catch (const comm::CommError& e) {
        err << e.what() << "\n";  // FILE:LINE:COL: error: comm: case '...': ...
        return exit_invalid;
    }
}

}  // namespace clustersim::app
