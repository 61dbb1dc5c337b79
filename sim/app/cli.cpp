#include "app/cli.hpp"

#include <CLI/CLI.hpp>
#include <tbb/global_control.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "app/calibrate.hpp"
#include "app/comm_cmd.hpp"
#include "app/explain_cmd.hpp"
#include "app/run_cmd.hpp"
#include "app/show.hpp"
#include "app/validate_cmd.hpp"
#include "chip/chip_model.hpp"
#include "comm/algorithms.hpp"
#include "diag/suggest.hpp"
#include "output/atomic_file.hpp"
#include "output/csv.hpp"
#include "output/run_json.hpp"
#include "output/summary.hpp"
#include "run/runner.hpp"
#include "scenario/catalog_loader.hpp"
#include "scenario/measurements_loader.hpp"
#include "scenario/topology_decoder.hpp"
#include "topo/export.hpp"
#include "topo/problem.hpp"
#include "topo/metrics.hpp"
#include "scenario/scenario_loader.hpp"

namespace clustersim::app {
namespace {

namespace fs = std::filesystem;

/// A count of at least 1. CLI11's PositiveNumber refuses 0 with "Value 0 not in range 0.000000 to 1.797693e+308",
/// which names neither the rule nor the valid values.
const CLI::Validator at_least_one(
    [](std::string& text) -> std::string {
        std::int64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec == std::errc() && end == text.data() + text.size() && v >= 1) return {};
        return "'" + text + "' is not valid: a whole number of at least 1";
    },
    "INT>=1");

constexpr const char* examples = R"(Examples:
  clustersim run scenarios/weaker-chip-bigger-cluster.yaml -o out/flagship
  clustersim run scenarios/sweep.yaml -o out/sweep --resume        # continue a killed sweep
  clustersim run scenarios/sweep.yaml -o out/sweep --shard 3/8      # one block of rows; then:
  clustersim merge out/sweep
  mpirun -n 4 clustersim run scenarios/sweep.yaml -o out/sweep      # one shard per rank, merged
  clustersim check scenarios/*.yaml
  clustersim list chips
  clustersim show chip ascend_910c
  clustersim show system cloudmatrix_384
  clustersim list workloads
  clustersim list reliability
  clustersim show workload llama3_70b
  clustersim list topologies
  clustersim list algorithms
  clustersim show topology cloudmatrix_384 --graph cm384.dot
  clustersim calibrate chip nvidia_h100_sxm measurements.csv --fit matmul_efficiency --write fit.yaml
  clustersim comm hgx_h100_8gpu --collective all_reduce --min "1 MiB" --max "8 GiB" -o out/comm
  clustersim comm scenarios/comm-benchmarks.yaml -o out/comm       # every case's comm section
  clustersim validate --max-median-error 0.10 --max-worst-error 0.25
  clustersim explain tests/validation/sc21-megatron.yaml --case sc21-t1-gpt-1.7b-32gpu -o out/why

Exit codes: 0 ok, 2 usage, 3 invalid scenario or catalog, 4 I/O error, 5 validation targets missed.
The catalog is read from --catalog, else $CLUSTERSIM_MODELS, else the source tree's models/.)";

fs::path catalog_dir(const std::string& flag) {
    if (!flag.empty()) return flag;
    if (const char* env = std::getenv("CLUSTERSIM_MODELS"); env != nullptr && *env != '\0') return env;
    return CLUSTERSIM_DEFAULT_MODELS_DIR;
}

void print_diagnostics(const std::vector<diag::Diagnostic>& ds, std::ostream& err) {
    for (const auto& d : ds) err << diag::format(d) << "\n";
    err << ds.size() << (ds.size() == 1 ? " error" : " errors") << "\n";
}

// Loads every scenario, reporting the problems of all files at once.
std::vector<scenario::Scenario> load_all(const std::vector<std::string>& files, const catalog::Catalog& cat) {
    std::vector<scenario::Scenario> out;
    std::vector<diag::Diagnostic> all;
    for (const auto& f : files) {
        try {
            out.push_back(scenario::load_scenario(f, cat));
        } catch (const diag::InputError& e) {
            all.insert(all.end(), e.diagnostics().begin(), e.diagnostics().end());
        }
    }
    if (!all.empty()) throw diag::InputError(std::move(all));
    diag::Diagnostics dup;
    std::vector<std::string> names;
    for (const auto& s : out) {
        if (std::find(names.begin(), names.end(), s.name) != names.end()) {
            dup.error(s.name_where, "scenario",
                      "two input files use the scenario name '" + s.name + "'");
        }
        names.push_back(s.name);
    }
    dup.throw_if_any();
    return out;
}

struct Options {
    std::string catalog;
    std::vector<std::string> files;
    RunOptions run;
    std::string kind;
    std::string name;
    std::vector<std::string> fit;
    std::string write_path;
    std::string graph_path;
    CommOptions comm;
    ValidateOptions validate;
    ExplainOptions explain;
};

int cmd_run(const Options& o, const RunContext& ctx, std::ostream& out, std::ostream& err) {
    const fs::path models = catalog_dir(o.catalog);
    if (ctx.size == 1) {
        return run_scenarios(load_all(o.run.files, scenario::load_catalog(models)), models, scenario::catalog_files(models), o.run,
                             ctx, out, err);
    }
    // Under MPI every rank loads the inputs and meets the others before running, so that a rank that
    // cannot load them does not leave the others waiting.
    std::vector<scenario::Scenario> scenarios;
    std::vector<fs::path> catalog;
    int code = exit_ok;
    try {
        scenarios = load_all(o.run.files, scenario::load_catalog(models));
        catalog = scenario::catalog_files(models);
    } catch (const diag::InputError& e) {
        if (ctx.rank == 0) print_diagnostics(e.diagnostics(), err);  // every rank finds the same problems
        code = exit_invalid;
    } catch (const diag::IoError& e) {
        err << e.what() << "\n";
        code = exit_io;
    } catch (const std::exception& e) {
        err << "clustersim: internal error: " << e.what() << "\n";
        code = exit_internal;
    }
    if (const int worst = ctx.max_over_ranks(code); worst != exit_ok) return code != exit_ok ? code : worst;
    return run_scenarios(scenarios, models, catalog, o.run, ctx, out, err);
}

int cmd_check(const Options& o, std::ostream& out) {
    const auto cat = scenario::load_catalog(catalog_dir(o.catalog));
    const auto scenarios = load_all(o.files, cat);
    for (const auto& s : scenarios) {
        out << s.file.string() << ": ok (" << s.cases.size() << (s.cases.size() == 1 ? " case)\n" : " cases)\n");
    }
    return exit_ok;
}

int cmd_list(const Options& o, std::ostream& out) {
    if (o.kind == "topologies") {
        out << list_topologies(scenario::builtin_topologies());
        return exit_ok;
    }
    if (o.kind == "algorithms") {
        out << list_algorithms(comm::builtin_algorithms());
        return exit_ok;
    }
    const auto cat = scenario::load_catalog(catalog_dir(o.catalog));
    out << (o.kind == "chips"         ? list_chips(cat)
            : o.kind == "workloads"   ? list_workloads(cat)
            : o.kind == "reliability" ? list_reliability(cat)
                                      : list_systems(cat));
    return exit_ok;
}

int cmd_show_topology(const Options& o, const catalog::Catalog& cat, std::ostream& out, std::ostream& err) {
    const auto it = cat.systems.find(o.name);
    if (it == cat.systems.end() || !it->second.topology) {
        std::vector<std::string> with;
        for (const auto& [id, s] : cat.systems) {
            if (s.topology) with.push_back(id);
        }
        err << "error: " << (it == cat.systems.end() ? "unknown system '" + o.name + "'" + diag::did_you_mean(o.name, with)
                                                     : "system '" + o.name + "' has no topology")
            << "; systems with a topology: " << diag::join_names(with) << "\n";
        return exit_usage;
    }
    const auto& spec = *it->second.topology;
    std::optional<topo::Topology> built;
    double seconds = 0;
    const topo::BuildLimits limits;
    const auto metrics = topo::analyze(spec.params);
    if (static_cast<std::uint64_t>(metrics.links) <= limits.max_links) {
        const auto t0 = std::chrono::steady_clock::now();
        built = topo::build(spec.params, limits);
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    out << show_topology(o.name, spec, built ? &*built : nullptr, seconds);
    if (!o.graph_path.empty()) {
        if (!built) {
            err << "error: --graph: the graph of " << o.name << " is too large to build\n";
            return exit_usage;
        }
        const bool graphml = fs::path(o.graph_path).extension() == ".graphml";
        try {
            output::write_files_atomically({{o.graph_path, graphml ? topo::to_graphml(*built) : topo::to_dot(*built)}});
        } catch (const topo::TopologyError&) {
            const topo::ExportLimits limits_of_export;
            err << "error: --graph: " << o.name << " has " << built->node_count() << " nodes and " << built->link_count()
                << " links; a drawing is made for at most " << limits_of_export.max_nodes << " nodes and "
                << limits_of_export.max_links << " links\n";
            return exit_usage;
        }
        out << "wrote " << o.graph_path << (graphml ? " (GraphML)\n" : " (DOT)\n");
    }
    return exit_ok;
}

int cmd_show(const Options& o, std::ostream& out, std::ostream& err) {
    const auto cat = scenario::load_catalog(catalog_dir(o.catalog));
    if (o.kind == "topology") return cmd_show_topology(o, cat, out, err);
    if (!o.graph_path.empty()) {
        err << "error: --graph applies to 'show topology SYSTEM'\n";
        return exit_usage;
    }
    if (o.kind == "workload") {
        if (const auto it = cat.workloads.find(o.name); it != cat.workloads.end()) {
            out << show_workload(*it->second);
            return exit_ok;
        }
        err << "error: unknown workload '" << o.name << "'" << diag::did_you_mean(o.name, cat.workload_ids())
            << "; valid: " << diag::join_names(cat.workload_ids()) << "\n";
        return exit_usage;
    }
    if (o.kind == "chip") {
        if (const auto it = cat.chips.find(o.name); it != cat.chips.end()) {
            out << show_chip(it->second);
            return exit_ok;
        }
        err << "error: unknown chip '" << o.name << "'" << diag::did_you_mean(o.name, cat.chip_ids())
            << "; valid: " << diag::join_names(cat.chip_ids()) << "\n";
        return exit_usage;
    }
    if (const auto it = cat.systems.find(o.name); it != cat.systems.end()) {
        out << show_system(cat, it->second);
        return exit_ok;
    }
    err << "error: unknown system '" << o.name << "'" << diag::did_you_mean(o.name, cat.system_ids())
        << "; valid: " << diag::join_names(cat.system_ids()) << "\n";
    return exit_usage;
}

int cmd_calibrate(const Options& o, std::ostream& out, std::ostream& err) {
    const auto cat = scenario::load_catalog(catalog_dir(o.catalog));
    const auto it = cat.chips.find(o.name);
    if (it == cat.chips.end()) {
        err << "error: unknown chip '" << o.name << "'" << diag::did_you_mean(o.name, cat.chip_ids())
            << "; valid: " << diag::join_names(cat.chip_ids()) << "\n";
        return exit_usage;
    }
    auto model = chip::make_chip_model(it->second);
    if (auto* msg = std::get_if<std::string>(&model)) {
        err << "error: " << *msg << "\n";
        return exit_invalid;
    }
    const auto rows = scenario::load_measurements(o.files.front());
    std::vector<chip::Parameter> params;
    for (const auto& name : o.fit) {
        const auto p = std::find_if(chip::all_parameters.begin(), chip::all_parameters.end(),
                                    [&name](chip::Parameter x) { return chip::to_string(x) == name; });
        if (p == chip::all_parameters.end()) {
            std::vector<std::string> valid;
            for (const auto x : chip::all_parameters) valid.emplace_back(chip::to_string(x));
            err << "error: --fit: unknown parameter '" << name << "'" << diag::did_you_mean(name, valid)
                << "; valid: " << diag::join_names(valid) << "\n";
            return exit_usage;
        }
        if (std::find(params.begin(), params.end(), *p) == params.end()) params.push_back(*p);
    }
    const auto& start = std::get<chip::ChipModel>(model);
    if (params.empty()) params = chip::parameters_for(rows);
    auto result = chip::calibrate(start, rows, params);
    if (auto* msg = std::get_if<std::string>(&result)) {
        err << o.files.front() << ": error: " << *msg << "\n";
        return exit_invalid;
    }
    const auto& fit = std::get<chip::CalibrationResult>(result);
    out << calibration_report(start, fit);
    if (!o.write_path.empty()) {
        output::write_files_atomically({{o.write_path, calibration_overrides_yaml(fit, o.name, o.files.front())}});
        out << "wrote " << o.write_path << "\n";
    }
    return exit_ok;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, const RunContext& ctx) {
    // An unknown command is named as such (CLI11 would only say that a subcommand is required).
    static const std::vector<std::string> commands{"run",       "merge", "check",    "list",   "show",
                                                   "calibrate", "comm",  "validate", "explain"};
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--catalog") {
            ++i;
            continue;
        }
        if (args[i].empty() || args[i][0] == '-') continue;
        if (std::find(commands.begin(), commands.end(), args[i]) == commands.end()) {
            err << "clustersim: unknown command '" << args[i] << "'" << diag::did_you_mean(args[i], commands)
                << "; commands: " << diag::join_names(commands) << " (see clustersim --help)\n";
            return exit_usage;
        }
        break;
    }
    CLI::App app{"clustersim: peak and delivered throughput of AI accelerator clusters, from one chip to a million",
                 "clustersim"};
    app.fallthrough();  // --catalog may also follow the command
    app.footer(examples);
    app.require_subcommand(1, 1);
    app.set_version_flag("--version", output::version_string());
    Options o;
    app.add_option("--catalog", o.catalog, "catalog directory (chips/, systems/ and optionally network/)");

    auto* run = app.add_subcommand("run", "run scenario files; write DIR/results.csv and DIR/run.json");
    run->add_option("files", o.run.files, "scenario YAML files")->required()->check(CLI::ExistingFile);
    run->add_option("-o,--out", o.run.out_dir, "output directory (default: out/<scenario file name>)");
    run->add_option("--threads", o.run.threads, "worker threads (default: all cores); results do not depend on it")
        ->check(CLI::Range(1, 4096));
    run->add_flag("-q,--quiet", o.run.quiet, "no progress line and no summary tables: only the output paths");
    run->add_flag("--resume", o.run.resume,
                  "continue a run that was killed or stopped, from the rows already in DIR/results.csv.partial");
    run->add_option("--shard", o.run.shard,
                    "run only block K of N of the rows (e.g. a Slurm array task) into DIR/shard-K-of-N/; "
                    "'clustersim merge DIR' joins the shards");
    run->add_option("--max-rows", o.run.max_rows, "stop after this many new rows (continue later with --resume)")
        ->check(at_least_one);

    auto* merge = app.add_subcommand("merge", "join the shards of a run (DIR/shard-K-of-N/) into DIR/results.csv and DIR/run.json");
    std::string merge_dir;
    merge->add_option("dir", merge_dir, "the run's output directory")->required()->check(CLI::ExistingDirectory);

    auto* check = app.add_subcommand("check", "validate scenario files (and the catalog) without running them");
    check->add_option("files", o.files, "scenario YAML files")->required()->check(CLI::ExistingFile);

    auto* list = app.add_subcommand(
        "list", "list chips, systems, workloads, reliability profiles, topology builders or collective algorithms as a table");
    list->add_option("what", o.kind, "chips, systems, workloads, reliability, topologies or algorithms")
        ->required()
        ->check(CLI::IsMember({"chips", "systems", "workloads", "reliability", "topologies", "algorithms"}));

    auto* show = app.add_subcommand(
        "show", "a chip's or system's figures with sources and derived figures, a workload's architecture, or a system's topology");
    show->add_option("kind", o.kind, "chip, system, workload or topology")
        ->required()
        ->check(CLI::IsMember({"chip", "system", "workload", "topology"}));
    show->add_option("name", o.name, "catalog id (see 'clustersim list'); for a topology, a system id")->required();
    show->add_option("--graph", o.graph_path, "with 'topology': write the graph as DOT, or GraphML for *.graphml");

    auto* calibrate = app.add_subcommand("calibrate", "fit a chip's performance-model parameters to measured times");
    calibrate->add_option("kind", o.kind, "chip")->required()->check(CLI::IsMember({"chip"}));
    calibrate->add_option("name", o.name, "chip id (see 'clustersim list chips')")->required();
    calibrate->add_option("measurements", o.files, "CSV of measured operation times (docs/models/chip.md)")
        ->required()
        ->expected(1)
        ->check(CLI::ExistingFile);
    calibrate->add_option("--fit", o.fit, "parameters to fit, comma-separated (default: all the rows inform)")
        ->delimiter(',');
    calibrate->add_option("--write", o.write_path, "write the fitted values as a YAML overrides block");

    auto* comm = app.add_subcommand(
        "comm", "collective benchmarks over message sizes, like nccl-tests: on a system's network, or a scenario's comm sections");
    comm->add_option("target", o.comm.target,
                     "system id with a topology (see 'clustersim list systems'), or a scenario file whose cases have comm sections")
        ->required();
    comm->add_option("--collective", o.comm.collective, "all_reduce (default), reduce_scatter, all_gather, all_to_all, broadcast, send_recv");
    comm->add_option("--group-size", o.comm.group_size, "ranks per group (default: every chip); every group runs at once")
        ->check(at_least_one);
    comm->add_option("--stride", o.comm.stride, "accelerators between consecutive ranks of a group (default 1)")
        ->check(at_least_one);
    comm->add_option("--min", o.comm.min_size, "smallest message, e.g. \"8 B\" (default)");
    comm->add_option("--max", o.comm.max_size, "largest message, e.g. \"1 GiB\" (default)");
    comm->add_option("--factor", o.comm.factor, "size step factor (default 2)");
    comm->add_option("--algorithm", o.comm.algorithm, "force an algorithm (default: the fastest applicable)");
    comm->add_option("-o,--out", o.comm.out_dir, "write DIR/comm.csv");

    auto* validate = app.add_subcommand(
        "validate", "predict published training measurements and print the error per case, median and worst");
    validate->add_option("files", o.files, "validation scenario files (default: the project's tests/validation/*.yaml)")
        ->check(CLI::ExistingFile);
    validate->add_option("-o,--out", o.validate.out_dir, "write DIR/validation.csv and DIR/results.csv");
    validate->add_option("--max-median-error", o.validate.max_median_error,
                         "exit 5 when the median absolute error exceeds this fraction (e.g. 0.10)")
        ->check(CLI::Range(0.0, 100.0));
    validate->add_option("--max-worst-error", o.validate.max_worst_error,
                         "exit 5 when any absolute error exceeds this fraction (e.g. 0.25), or a case cannot be predicted")
        ->check(CLI::Range(0.0, 100.0));

    auto* explain = app.add_subcommand(
        "explain", "where a training or serving step's time goes, kernel by kernel: shapes, bound, time per call and per step");
    explain->add_option("files", o.files, "scenario files (validation files too)")->required()->check(CLI::ExistingFile);
    explain->add_option("--case", o.explain.cases, "explain this case only (repeatable; default: every training and serving case)");
    explain->add_option("--top", o.explain.top, "kernels printed per case, the longest per step first (default 12)")
        ->check(at_least_one);
    explain->add_option("-o,--out", o.explain.out_dir, "write DIR/kernels.csv: every kernel of every case explained");

    try {
        std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes arguments reversed
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e, out, err);
        return code == 0 ? exit_ok : exit_usage;
    }

    try {
        if (run->parsed()) return cmd_run(o, ctx, out, err);
        if (merge->parsed()) return merge_run(merge_dir, out);
        if (check->parsed()) return cmd_check(o, out);
        if (list->parsed()) return cmd_list(o, out);
        if (calibrate->parsed()) return cmd_calibrate(o, out, err);
        if (validate->parsed()) {
            const auto cat = scenario::load_catalog(catalog_dir(o.catalog));
            const auto files = o.files.empty() ? default_validation_files() : o.files;
            if (files.empty()) {
                err << "error: no validation files given and none in " << CLUSTERSIM_DEFAULT_VALIDATION_DIR << "\n";
                return exit_usage;
            }
            return run_validate(load_all(files, cat), o.validate, out);
        }
        if (explain->parsed()) return run_explain(load_all(o.files, scenario::load_catalog(catalog_dir(o.catalog))), o.explain, out, err);
        if (comm->parsed()) {
            for (const char* flag : {"--collective", "--group-size", "--stride", "--min", "--max", "--factor", "--algorithm"}) {
                if (comm->get_option(flag)->count() > 0) o.comm.given.emplace_back(flag);
            }
            const auto cat = scenario::load_catalog(catalog_dir(o.catalog));
            if (!is_scenario_target(o.comm.target)) return run_comm(cat, o.comm, out, err);
            return run_comm(load_all({o.comm.target}, cat).front(), o.comm, out, err);
        }
        return cmd_show(o, out, err);
    } catch (const diag::InputError& e) {
        print_diagnostics(e.diagnostics(), err);
        return exit_invalid;
    } catch (const diag::IoError& e) {
        err << e.what() << "\n";
        return exit_io;
    } catch (const std::exception& e) {
        err << "clustersim: internal error: " << e.what() << "\n";
        return exit_internal;
    }
}

}  // namespace clustersim::app
