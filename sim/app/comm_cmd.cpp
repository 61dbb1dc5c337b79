#include "app/comm_cmd.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "app/cli.hpp"
#include "comm/cost.hpp"
#include "comm/error.hpp"
#include "comm/model.hpp"
#include "diag/suggest.hpp"
#include "output/atomic_file.hpp"
#include "output/csv.hpp"
#include "output/table.hpp"
#include "topo/topology.hpp"
#include "units/format.hpp"
#include "units/parse.hpp"

namespace clustersim::app {
int run_comm(const catalog::Catalog& cat, const CommOptions& o, std::ostream& out, std::ostream& err) {
    const auto it = cat.systems.find(o.system);
    if (it == cat.systems.end() || !it->second.topology) {
        std::vector<std::string> with;
        for (const auto& [id, s] : cat.systems) {
            if (s.topology) with.push_back(id);
        }
        err << "error: " << (it == cat.systems.end() ? "unknown system '" + o.system + "'" + diag::did_you_mean(o.system, with)
                                                     : "system '" + o.system + "' has no topology")
            << "; systems with a topology: " << diag::join_names(with) << "\n";
        return exit_usage;
    }
    std::optional<comm::Collective> kind;
    std::vector<std::string> names;
    for (const auto c : comm::all_collectives()) {
        names.emplace_back(comm::to_string(c));
        if (comm::to_string(c) == o.collective) kind = c;
    }
    if (!kind) {
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

    const auto& spec = *it->second.topology;
    const topo::Topology topology = topo::build(spec.params);
    // Per-level costs from the published presets, chosen by each level's kind (comm::preset_for_level;
    // docs/models/comm.md): NVLink's generation follows the chip's scale-up bandwidth (0: unknown).
    const auto& chip = cat.chips.at(it->second.chip_id);
    const double scale_up_Bps = chip.scale_up_bandwidth.known() ? chip.scale_up_bandwidth.value->si() : 0.0;
    const comm::CostModel cost = comm::preset_cost_model(topology, scale_up_Bps);
    output::Table levels;
    levels.header = {"level", "plane", "group size", "cost per level"};
    for (const auto& level : topology.levels()) {
        levels.rows.push_back({level.name, std::string(topo::to_string(level.plane_kind)), std::to_string(level.group_size),
                               comm::preset_for_level(level, scale_up_Bps).label});
    }
    const auto chips = static_cast<std::int64_t>(topology.accelerator_count());
    const std::int64_t p = o.group_size > 0 ? o.group_size : chips;
    try {
        const comm::CommModel model(topology, cost);
        const auto placement = comm::Placement::tiled(chips, p, o.stride);
        comm::RunOptions options;
        options.algorithm = o.algorithm;
        const comm::SweepSpec sweep{units::Bytes(*min_bytes), units::Bytes(*max_bytes), o.factor};
        const auto rows = model.benchmark(placement, comm::CollectiveSpec{*kind, units::Bytes(0.0), 0, {}}, sweep, options);
        out << fmt::format("{} on {}: {} groups of {} ranks (stride {}), every group at once; NCCL conventions\n\n",
                           o.collective, o.system, chips / p, p, o.stride)
            << levels.render() << "\n";
        output::Table t;
        t.header = {"size", "algorithm", "time", "algbw", "busbw", "bottleneck (utilisation)"};
        t.right_aligned = {true, false, true, true, true, false};
        std::string csv = "system,collective,group_size,groups,stride,algorithm,bytes,time_s,algbw_bytes_per_s,"
                          "busbw_bytes_per_s,bottleneck,bottleneck_utilisation\n";
        for (const auto& r : rows) {
            t.rows.push_back({units::format_binary_bytes(r.bytes.si()), r.algorithm, units::format_si(r.time.si(), units::Dimension::time),
                              units::format_si(r.algbw.si(), units::Dimension::data_rate),
                              units::format_si(r.busbw.si(), units::Dimension::data_rate),
                              r.bottleneck.empty() ? "-" : fmt::format("{} ({:.2f})", r.bottleneck, r.bottleneck_utilisation)});
            csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", output::csv_field(o.system), o.collective, p, chips / p,
                               o.stride, output::csv_field(r.algorithm), units::round_trip(r.bytes.si()),
                               units::round_trip(r.time.si()), units::round_trip(r.algbw.si()), units::round_trip(r.busbw.si()),
                               output::csv_field(r.bottleneck), units::round_trip(r.bottleneck_utilisation));
        }
        out << t.render();
        if (!o.out_dir.empty()) {
            const auto path = std::filesystem::path(o.out_dir) / "comm.csv";
            output::write_files_atomically({{path, csv}});
            out << "wrote " << path.string() << " (" << rows.size() << " rows)\n";
        }
    } catch (const comm::CommError& e) {
        err << "error: " << e.what() << "\n";
        return exit_usage;
    }
    return exit_ok;
}

}  // namespace clustersim::app
