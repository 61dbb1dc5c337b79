#include "scenario/catalog_loader.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include "diag/suggest.hpp"
#include "scenario/figure_decoder.hpp"
#include "scenario/topology_decoder.hpp"
#include "scenario/workload_loader.hpp"

namespace clustersim::scenario {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> yaml_files(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw diag::IoError(dir.string() + ": error: catalog directory not found");
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) out.push_back(entry.path());
    }
    if (ec) throw diag::IoError(dir.string() + ": error: cannot list directory: " + ec.message());
    std::sort(out.begin(), out.end());
    return out;
}

// Header keys shared by chip and system files.
struct Header {
    std::string id, name, vendor, status, notes;
    int year = 0;
    SourceMap sources;
};

Header decode_header(const Source& src, const MapReader& m, const fs::path& file) {
    Header h;
    if (auto id = m.string("id", true)) {
        h.id = *id;
        if (h.id != file.stem().string()) {
            src.error(m.get("id"), "id", "id '" + h.id + "' must equal the file name '" + file.stem().string() + "'");
        }
    }
    h.name = m.string("name", true).value_or("");
    h.vendor = m.string("vendor", true).value_or("");
    if (auto year = m.integer("year", true, 1990)) {
        if (*year > 2100) {
            src.error(m.get("year"), "year", "year " + std::to_string(*year) + " is not plausible (1990 to 2100)");
        } else {
            h.year = static_cast<int>(*year);
        }
    }
    if (auto s = m.require("status", "shipping, announced or roadmap")) {
        h.status = as_choice(src, *s, "status", {"shipping", "announced", "roadmap"}).value_or("");
    }
    if (m.has("notes")) h.notes = m.string("notes", false).value_or("");
    if (auto s = m.require("sources", "a mapping of source id to full citation")) {
        h.sources = as_string_map(src, *s, "sources");
        if (s->IsMap() && h.sources.empty()) src.error(*s, "sources", "at least one source is needed");
    }
    return h;
}

// Chip and system files share their header keys.
template <class Spec>
void apply_header(Header h, Spec& spec) {
    spec.id = std::move(h.id);
    spec.name = std::move(h.name);
    spec.vendor = std::move(h.vendor);
    spec.year = h.year;
    spec.status = std::move(h.status);
    spec.notes = std::move(h.notes);
    spec.sources = std::move(h.sources);
}

const std::vector<std::string> chip_keys{"id",      "name",    "vendor",      "year", "status",
                                         "sources", "figures", "performance", "notes"};
const std::vector<std::string> network_part_keys{"id",     "kind",    "name",    "vendor", "year",
                                                 "status", "sources", "figures", "notes"};
// A process file has a chip file's header keys and `figures`.
const std::vector<std::string> process_keys{"id", "name", "vendor", "year", "status", "sources", "figures", "notes"};
const std::vector<std::string> system_keys{"id",      "name",    "vendor",         "year",   "status",
                                           "sources", "notes",   "chip",           "chip_overrides", "figures",
                                           "topology"};

template <std::size_t N>
std::vector<std::string> names_of(const std::array<catalog::FigureInfo, N>& infos, std::string_view section) {
    std::vector<std::string> out;
    for (const auto& i : infos) {
        if (i.section == section) out.emplace_back(i.name);
    }
    return out;
}

// Every figure key must be present: unknown figures are written as null, never left out.
std::optional<YAML::Node> figure_node(const Source& src, const MapReader& figures, const catalog::FigureInfo& info) {
    if (!figures.ok()) return std::nullopt;
    YAML::Node n = figures.get(info.name);
    if (!n.IsDefined()) {
        src.error(figures.node(), figures.path(),
                  "missing figure '" + std::string(info.name) + "' (write '" + std::string(info.name) +
                      ": null' when it is not public)");
        return std::nullopt;
    }
    return n;
}

std::optional<catalog::ChipSpec> decode_chip(const fs::path& file, diag::Diagnostics& diags) {
    auto root = load_yaml_file(file, diags);
    if (!root) return std::nullopt;
    const Source src{file.string(), diags};
    MapReader m(src, *root, "", chip_keys);
    if (!m.ok()) return std::nullopt;
    catalog::ChipSpec chip;
    apply_header(decode_header(src, m, file), chip);
    // Published figures under `figures:`, model parameters under `performance:`; every key present.
    const auto fig = m.require("figures", "the chip's published figures");
    const auto perf = m.require("performance", "the chip's performance-model parameters (docs/models/chip.md)");
    const MapReader figures(src, fig.value_or(YAML::Node()), "figures", names_of(catalog::chip_figures, "figures"),
                            fig.has_value());
    const MapReader performance(src, perf.value_or(YAML::Node()), "performance",
                                names_of(catalog::chip_figures, "performance"), perf.has_value());
    catalog::for_each_figure(chip, [&](const catalog::FigureInfo& info, auto& figure) {
        using Q = typename std::decay_t<decltype(figure.value)>::value_type;
        const MapReader& section = info.section == "figures" ? figures : performance;
        if (auto n = figure_node(src, section, info)) {
            figure = typed<Q>(decode_catalog_figure(src, *n, join_path(std::string(info.section), info.name), info,
                                                    chip.sources));
        }
    });
    return chip;
}

// A switch or transceiver file (models/network/): the header, `kind`, and the kind's figures,
// every one present (null when not public).
void decode_network_part(const fs::path& file, catalog::Catalog& cat, diag::Diagnostics& diags) {
    auto root = load_yaml_file(file, diags);
    if (!root) return;
    const Source src{file.string(), diags};
    MapReader m(src, *root, "", network_part_keys);
    if (!m.ok()) return;
    Header header = decode_header(src, m, file);
    std::optional<std::string> kind;
    if (auto k = m.require("kind", "switch or transceiver")) kind = as_choice(src, *k, "kind", {"switch", "transceiver"});
    const auto fig = m.require("figures", "the part's figures");
    if (!kind) return;
    auto decode_figures = [&](auto& spec, const auto& infos, auto&& for_each) {
        apply_header(std::move(header), spec);
        const MapReader figures(src, fig.value_or(YAML::Node()), "figures", names_of(infos, "figures"), fig.has_value());
        for_each(spec, [&](const catalog::FigureInfo& info, auto& figure) {
            auto n = figure_node(src, figures, info);
            if (!n) return;
            const std::string path = join_path("figures", info.name);
            using F = std::decay_t<decltype(figure)>;
            if constexpr (std::is_same_v<F, catalog::Figure<std::int64_t>>) {
                figure = decode_count_figure(src, *n, path, info, spec.sources);
            } else if constexpr (std::is_same_v<F, catalog::Figure<std::string>>) {
                const std::vector<std::string> media(catalog::transceiver_media.begin(), catalog::transceiver_media.end());
                figure = decode_choice_figure(src, *n, path, info, spec.sources, media);
            } else {
                using Q = typename std::decay_t<decltype(figure.value)>::value_type;
                figure = typed<Q>(decode_catalog_figure(src, *n, path, info, spec.sources));
            }
        });
    };
    if (*kind == "switch") {
        catalog::SwitchSpec sw;
        decode_figures(sw, catalog::switch_figures,
                       [](auto& spec, auto&& f) { catalog::for_each_figure_of_switch(spec, f); });
        cat.switches.emplace(file.stem().string(), std::move(sw));
    } else {
        catalog::TransceiverSpec tr;
        decode_figures(tr, catalog::transceiver_figures,
                       [](auto& spec, auto&& f) { catalog::for_each_figure_of_transceiver(spec, f); });
        cat.transceivers.emplace(file.stem().string(), std::move(tr));
    }
}

// `chip_files`: ids of every chip file, also those that failed to load (their own errors are reported).
// `parts`: the network parts that `topology.parts` may name.
std::optional<catalog::SystemSpec> decode_system(const fs::path& file, const catalog::Catalog& cat,
                                                 const std::set<std::string>& chip_files, const NetworkPartNames& parts,
                                                 diag::Diagnostics& diags) {
    auto root = load_yaml_file(file, diags);
    if (!root) return std::nullopt;
    const Source src{file.string(), diags};
    MapReader m(src, *root, "", system_keys);
    if (!m.ok()) return std::nullopt;
    catalog::SystemSpec sys;
    apply_header(decode_header(src, m, file), sys);
    if (auto chip = m.string("chip", true)) {
        if (cat.chips.count(*chip) == 0 && chip_files.count(*chip) == 0) {
            const auto ids = cat.chip_ids();
            src.error(m.get("chip"), "chip",
                      "unknown chip '" + *chip + "'" + diag::did_you_mean(*chip, ids) + "; valid: " + diag::join_names(ids));
        }
        sys.chip_id = *chip;
    }
    if (m.has("chip_overrides")) {
        auto names = names_of(catalog::chip_figures, "figures");
        for (const auto& n : names_of(catalog::chip_figures, "performance")) names.push_back(n);
        MapReader ov(src, m.get("chip_overrides"), "chip_overrides", names);
        for (const auto& info : catalog::chip_figures) {
            YAML::Node n = ov.get(info.name);
            if (!n.IsDefined()) continue;
            auto raw = decode_catalog_figure(src, n, join_path("chip_overrides", info.name), info, sys.sources);
            sys.chip_overrides.emplace(std::string(info.name), std::move(raw));
        }
    }
    if (auto fig = m.require("figures", "the system's figures")) {
        MapReader figures(src, *fig, "figures", names_of(catalog::system_figures, "figures"));
        catalog::for_each_figure_of_system(sys, [&](const catalog::FigureInfo& info, auto& figure) {
            auto n = figure_node(src, figures, info);
            if (!n) return;
            const std::string path = join_path("figures", info.name);
            if constexpr (std::is_same_v<std::decay_t<decltype(figure)>, catalog::Figure<std::int64_t>>) {
                figure = decode_count_figure(src, *n, path, info, sys.sources);
            } else {
                using Q = typename std::decay_t<decltype(figure.value)>::value_type;
                figure = typed<Q>(decode_catalog_figure(src, *n, path, info, sys.sources));
            }
        });
        if (figures.ok() && figures.has("chip_count") && !sys.chip_count.known()) {
            src.error(figures.get("chip_count"), "figures.chip_count", "a system needs a known chip count");
        }
        if (m.has("topology") && sys.chip_count.known()) {
            const auto registry = builtin_topologies();
            if (auto t = decode_topology(src, m.get("topology"), "topology", registry, &parts);
                t && check_topology_size(src, m.get("topology"), "topology", *t, *sys.chip_count.value, "the system")) {
                sys.topology = std::make_shared<const catalog::TopologySpec>(std::move(*t));
            }
        }
        if (sys.chip_count.known() && sys.scale_up_domain.known() && *sys.scale_up_domain.value > *sys.chip_count.value) {
            src.error(figures.get("scale_up_domain"), "figures.scale_up_domain",
                      "a scale-up domain of " + std::to_string(*sys.scale_up_domain.value) + " chips exceeds the " +
                          std::to_string(*sys.chip_count.value) + " chips of the system");
        }
    }
    return sys;
}

// models/network/ and models/workloads/ are optional: a catalog without them has no network
// parts or no workloads.
std::vector<fs::path> optional_yaml_files(const fs::path& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) return {};
    return yaml_files(dir);
}

std::vector<fs::path> network_files(const fs::path& models_dir) { return optional_yaml_files(models_dir / "network"); }
std::vector<fs::path> workload_files(const fs::path& models_dir) { return optional_yaml_files(models_dir / "workloads"); }
std::vector<fs::path> reliability_files(const fs::path& models_dir) { return optional_yaml_files(models_dir / "reliability"); }
std::vector<fs::path> process_files(const fs::path& models_dir) { return optional_yaml_files(models_dir / "processes"); }

const std::vector<std::string> reliability_keys{"id", "name", "year", "sources", "notes", "figures"};

/// A fleet's failure and recovery figures (models/reliability/*.yaml; docs/catalog-format.md).
std::optional<catalog::ReliabilitySpec> decode_reliability(const fs::path& file, diag::Diagnostics& diags) {
    auto root = load_yaml_file(file, diags);
    if (!root) return std::nullopt;
    const Source src{file.string(), diags};
    MapReader m(src, *root, "", reliability_keys);
    if (!m.ok()) return std::nullopt;
    const std::size_t problems = diags.size();
    catalog::ReliabilitySpec spec;
    if (auto id = m.string("id", true)) {
        spec.id = *id;
        if (spec.id != file.stem().string())
            src.error(m.get("id"), "id", "id '" + spec.id + "' must equal the file name '" + file.stem().string() + "'");
    }
    spec.name = m.string("name", true).value_or("");
    if (auto year = m.integer("year", true, 1990)) spec.year = static_cast<int>(*year);
    if (m.has("notes")) spec.notes = m.string("notes", false).value_or("");
    if (auto s = m.require("sources", "a mapping of source id to full citation")) {
        spec.sources = as_string_map(src, *s, "sources");
        if (s->IsMap() && spec.sources.empty()) src.error(*s, "sources", "at least one source is needed");
    }
    const auto fig = m.require("figures", "the fleet's failure and recovery figures");
    const MapReader figures(src, fig.value_or(YAML::Node()), "figures", names_of(catalog::reliability_figures, "figures"),
                            fig.has_value());
    catalog::for_each_figure_of_reliability(spec, [&](const catalog::FigureInfo& info, auto& figure) {
        auto n = figure_node(src, figures, info);
        if (!n) return;
        figure = typed<units::Seconds>(decode_catalog_figure(src, *n, join_path("figures", info.name), info, spec.sources));
    });
    if (diags.size() != problems) return std::nullopt;
    return spec;
}

/// A foundry process's wafer figures (models/processes/*.yaml; docs/catalog-format.md).
std::optional<catalog::ProcessSpec> decode_process(const fs::path& file, diag::Diagnostics& diags) {
    auto root = load_yaml_file(file, diags);
    if (!root) return std::nullopt;
    const Source src{file.string(), diags};
    MapReader m(src, *root, "", process_keys);
    if (!m.ok()) return std::nullopt;
    const std::size_t problems = diags.size();
    catalog::ProcessSpec spec;
    apply_header(decode_header(src, m, file), spec);
    const auto fig = m.require("figures", "the process's wafer figures");
    const MapReader figures(src, fig.value_or(YAML::Node()), "figures", names_of(catalog::process_figures, "figures"),
                            fig.has_value());
    catalog::for_each_figure_of_process(spec, [&](const catalog::FigureInfo& info, auto& figure) {
        auto n = figure_node(src, figures, info);
        if (!n) return;
        using Q = typename std::decay_t<decltype(figure.value)>::value_type;
        figure = typed<Q>(decode_catalog_figure(src, *n, join_path("figures", info.name), info, spec.sources));
    });
    if (diags.size() != problems) return std::nullopt;
    return spec;
}

}  // namespace

std::vector<fs::path> catalog_files(const fs::path& models_dir) {
    auto files = yaml_files(models_dir / "chips");
    const auto systems = yaml_files(models_dir / "systems");
    files.insert(files.end(), systems.begin(), systems.end());
    const auto parts = network_files(models_dir);
    files.insert(files.end(), parts.begin(), parts.end());
    const auto workloads = workload_files(models_dir);
    files.insert(files.end(), workloads.begin(), workloads.end());
    const auto reliability = reliability_files(models_dir);
    files.insert(files.end(), reliability.begin(), reliability.end());
    const auto processes = process_files(models_dir);
    files.insert(files.end(), processes.begin(), processes.end());
    return files;
}

catalog::Catalog load_catalog(const fs::path& models_dir) {
    diag::Diagnostics diags;
    catalog::Catalog cat;
    std::set<std::string> chip_files;
    for (const auto& file : yaml_files(models_dir / "chips")) {
        if (!chip_files.insert(file.stem().string()).second) {
            diags.error({file.string(), 0, 0}, "", "a second file for chip '" + file.stem().string() + "' (.yaml and .yml)");
            continue;
        }
        if (auto chip = decode_chip(file, diags)) cat.chips.emplace(chip->id, std::move(*chip));
    }
    // Network parts before systems: a system's `topology.parts` names them.
    NetworkPartNames parts;
    parts.catalog = &cat;
    for (const auto& file : network_files(models_dir)) {
        const std::string id = file.stem().string();
        if (parts.unloaded.count(id) != 0 || cat.switches.count(id) != 0 || cat.transceivers.count(id) != 0) {
            diags.error({file.string(), 0, 0}, "", "a second file for network part '" + id + "' (.yaml and .yml)");
            continue;
        }
        const std::size_t before = cat.switches.size() + cat.transceivers.size();
        const std::size_t problems = diags.size();
        decode_network_part(file, cat, diags);
        if (diags.size() != problems) {
            // Keep a broken part out of the catalog; naming it elsewhere is not a second error.
            cat.switches.erase(id);
            cat.transceivers.erase(id);
            parts.unloaded.insert(id);
        } else if (cat.switches.size() + cat.transceivers.size() == before) {
            parts.unloaded.insert(id);
        }
    }
    for (const auto& file : yaml_files(models_dir / "systems")) {
        auto sys = decode_system(file, cat, chip_files, parts, diags);
        if (sys && !cat.systems.emplace(sys->id, std::move(*sys)).second) {
            diags.error({file.string(), 0, 0}, "", "a second file for system '" + file.stem().string() + "' (.yaml and .yml)");
        }
    }
    // Workloads (model architectures) name no hardware; a broken file stays out of the catalog.
    std::set<std::string> workload_files_seen;
    for (const auto& file : workload_files(models_dir)) {
        const std::string id = file.stem().string();
        if (!workload_files_seen.insert(id).second) {
            diags.error({file.string(), 0, 0}, "", "a second file for workload '" + id + "' (.yaml and .yml)");
            continue;
        }
        if (auto w = decode_workload(file, diags)) {
            cat.workloads.emplace(id, std::make_shared<const catalog::WorkloadSpec>(std::move(*w)));
        }
    }
    for (const auto& file : reliability_files(models_dir)) {
        auto r = decode_reliability(file, diags);
        if (r && !cat.reliability.emplace(r->id, std::move(*r)).second) {
            diags.error({file.string(), 0, 0}, "", "a second file for reliability profile '" + file.stem().string() + "' (.yaml and .yml)");
        }
    }
    for (const auto& file : process_files(models_dir)) {
        auto p = decode_process(file, diags);
        if (p && !cat.processes.emplace(p->id, std::move(*p)).second) {
            diags.error({file.string(), 0, 0}, "", "a second file for process '" + file.stem().string() + "' (.yaml and .yml)");
        }
    }
    diags.throw_if_any();
    return cat;
}

}  // namespace clustersim::scenario
