#include "scenario/scenario_loader.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <variant>

#include "diag/suggest.hpp"
#include "scenario/figure_decoder.hpp"
#include "scenario/topology_decoder.hpp"
#include "scenario/reliability_decoder.hpp"
#include "scenario/serving_decoder.hpp"
#include "scenario/training_decoder.hpp"
#include "topo/metrics.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> top_keys{"format", "scenario", "description", "baseline", "cases", "sweep"};
const std::vector<std::string> case_keys{"name",      "description", "system",  "chip",
                                         "count",     "overrides",   "baseline", "topology",
                                         "training",  "serving",     "reliability", "measured"};
// Case fields a sweep axis may set.
const std::vector<std::string> sweepable_keys{"system", "chip", "count", "overrides.<figure>"};
// Sweeps are expanded in memory (about 2.5 kB per row, CSV included; the effective chip figures
// are shared): beyond this many rows, split the scenario. Streaming sweeps would lift this.
constexpr std::size_t max_rows = 1'000'000;

bool valid_case_name(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
}

std::vector<std::string> chip_figure_names() {
    std::vector<std::string> names;
    for (const auto& info : catalog::chip_figures) names.emplace_back(info.name);
    return names;
}

const catalog::FigureInfo* chip_figure(std::string_view name) {
    for (const auto& info : catalog::chip_figures) {
        if (info.name == name) return &info;
    }
    return nullptr;
}

// "unknown chip 'x' (did you mean 'y'?); valid: ..." with a hint when a quote was left open.
std::string unknown_name(std::string_view what, const std::string& name, const std::vector<std::string>& valid) {
    std::string msg = "unknown " + std::string(what) + " '" + name + "'" + diag::did_you_mean(name, valid) +
                      "; valid: " + diag::join_names(valid) + " (see 'clustersim list " + std::string(what) + "s')";
    if (name.find('\n') != std::string::npos || name.find(": ") != std::string::npos) {
        msg += "; the value runs over several lines: is a closing quote missing?";
    }
    return msg;
}

/// A case as written, before sweep values are applied and names are resolved.
struct Draft {
    std::string name;
    YAML::Node node;  ///< for locations
    std::optional<std::string> system;
    std::optional<std::string> chip;
    std::optional<std::int64_t> count;
    catalog::FigureOverrides overrides;
    std::shared_ptr<const catalog::TopologySpec> topology;  ///< the case's own, replacing a system's
    std::optional<TrainingDraft> training;
    std::optional<ServingDraft> serving;
    std::optional<reliability::JobSpec> reliability;
    YAML::Node reliability_node;
    std::optional<train::Measurement> measured;
};

/// One value of a sweep axis, decoded once.
struct AxisValue {
    std::string label;  ///< as written, for the sweep point's name
    std::variant<std::int64_t, std::string, catalog::RawFigure> value;
};

struct Axis {
    std::string key;   ///< "count", "chip", "system" or "overrides.<figure>"
    YAML::Node where;  ///< the axis key, for locations
    std::vector<AxisValue> values;
};

std::optional<Draft> decode_draft(const Source& src, const YAML::Node& node, const std::string& path,
                                  const catalog::Catalog& cat) {
    MapReader m(src, node, path, case_keys);
    if (!m.ok()) return std::nullopt;
    Draft d;
    d.node = node;
    bool ok = true;
    if (auto name = m.string("name", true)) {
        d.name = *name;
    } else {
        ok = false;
    }
    if (m.has("description")) ok = m.string("description", false).has_value() && ok;
    if (m.has("system")) {
        d.system = m.string("system", false);
        if (d.system && cat.systems.count(*d.system) == 0) {
            src.error(m.get("system"), join_path(path, "system"), unknown_name("system", *d.system, cat.system_ids()));
            d.system.reset();
        }
        ok = ok && d.system.has_value();
    }
    if (m.has("chip")) {
        d.chip = m.string("chip", false);
        if (d.chip && cat.chips.count(*d.chip) == 0) {
            src.error(m.get("chip"), join_path(path, "chip"), unknown_name("chip", *d.chip, cat.chip_ids()));
            d.chip.reset();
        }
        ok = ok && d.chip.has_value();
    }
    if (m.has("count")) {
        d.count = m.integer("count", false, 1);
        ok = ok && d.count.has_value();
    }
    if (m.has("overrides")) {
        MapReader ov(src, m.get("overrides"), join_path(path, "overrides"), chip_figure_names());
        ok = ok && ov.ok();
        for (const auto& info : catalog::chip_figures) {
            const YAML::Node n = ov.get(info.name);
            if (!n.IsDefined()) continue;
            auto raw = decode_override(src, n, join_path(join_path(path, "overrides"), info.name), info);
            if (raw) d.overrides.emplace(std::string(info.name), std::move(*raw));
            ok = ok && raw.has_value();
        }
    }
    if (m.has("topology")) {
        const auto registry = builtin_topologies();
        NetworkPartNames parts;
        parts.catalog = &cat;
        auto t = decode_topology(src, m.get("topology"), join_path(path, "topology"), registry, &parts);
        if (t) d.topology = std::make_shared<const catalog::TopologySpec>(std::move(*t));
        ok = ok && t.has_value();
    }
    if (m.has("training")) {
        d.training = decode_training(src, m.get("training"), join_path(path, "training"), cat);
        ok = ok && d.training.has_value();
    }
    if (m.has("serving")) {
        d.serving = decode_serving(src, m.get("serving"), join_path(path, "serving"), cat);
        ok = ok && d.serving.has_value();
    }
    if (m.has("reliability")) {
        d.reliability_node = m.get("reliability");
        d.reliability = decode_reliability(src, d.reliability_node, join_path(path, "reliability"), cat);
        ok = ok && d.reliability.has_value();
        if (!m.has("training")) {
            src.error(d.reliability_node, join_path(path, "reliability"),
                      "reliability gives a training job's goodput: add the 'training' section it applies to");
            ok = false;
        }
    }
    if (m.has("measured")) {
        d.measured = decode_measured(src, m.get("measured"), join_path(path, "measured"));
        ok = ok && d.measured.has_value();
        const bool serving = d.measured && train::is_serving(d.measured->metric);
        if (d.measured && !m.has(serving ? "serving" : "training")) {
            src.error(m.get("measured"), join_path(path, "measured"),
                      serving ? "a serving measurement belongs to a serving job: add the 'serving' section it was measured on"
                              : "a training measurement belongs to a training job: add the 'training' section it was measured on");
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return d;
}

// Checks once per case that every sweep point will have a system, or a chip and a count.
bool check_shape(const Source& src, const MapReader& m, const std::string& path, const std::vector<Axis>& axes) {
    auto swept = [&axes](std::string_view key) {
        return std::any_of(axes.begin(), axes.end(), [key](const Axis& a) { return a.key == key; });
    };
    const bool system = m.has("system") || swept("system");
    const bool chip = m.has("chip") || swept("chip");
    if (system && chip) {
        src.error(m.node(), path,
                  "a case names either a 'system' preset or a 'chip' with a 'count', not both" +
                      std::string(swept("system") || swept("chip") ? " (counting sweep axes)" : ""));
        return false;
    }
    if (!system && !chip) {
        if (!m.misspelt("system") && !m.misspelt("chip")) {
            src.error(m.node(), path, "a case needs a 'system' preset, or a 'chip' with a 'count'");
        }
        return false;
    }
    if (chip && !m.has("count") && !swept("count")) {
        if (!m.misspelt("count")) {
            src.error(m.node(), path,
                      "missing key 'count' (how many chips of '" + m.string("chip", false).value_or("") + "')");
        }
        return false;
    }
    return true;
}

std::optional<Axis> decode_axis(const Source& src, const YAML::Node& key_node, const YAML::Node& list,
                                const catalog::Catalog& cat) {
    auto key = as_string(src, key_node, "sweep");
    if (!key) return std::nullopt;
    const std::string path = join_path("sweep", *key);
    Axis axis{*key, key_node, {}};
    const catalog::FigureInfo* figure = nullptr;
    if (key->rfind("overrides.", 0) == 0) {
        const std::string name = key->substr(std::string("overrides.").size());
        figure = chip_figure(name);
        if (figure == nullptr) {
            src.error(key_node, "sweep",
                      "cannot sweep '" + *key + "': unknown figure '" + name + "'" +
                          diag::did_you_mean(name, chip_figure_names()) +
                          "; valid: " + diag::join_names(chip_figure_names()));
            return std::nullopt;
        }
    } else if (*key == "overrides") {
        src.error(key_node, "sweep", "name the figure to sweep, e.g. 'overrides.hbm_bandwidth'");
        return std::nullopt;
    } else if (*key != "count" && *key != "chip" && *key != "system") {
        const std::vector<std::string> plain{"count", "chip", "system", "overrides"};
        src.error(key_node, "sweep",
                  "cannot sweep '" + *key + "'" + diag::did_you_mean(*key, plain) +
                      "; a sweep axis sets a case field: " + diag::join_names(sweepable_keys) +
                      " (e.g. 'count' or 'overrides.hbm_bandwidth')");
        return std::nullopt;
    }
    if (!list.IsSequence() || list.size() == 0) {
        src.error(list.IsNull() ? key_node : list, path,
                  "expected a non-empty list of values, got " + std::string(node_kind(list)));
        return std::nullopt;
    }
    bool ok = true;
    std::set<std::string> labels;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const YAML::Node v = list[i];
        const std::string vpath = index_path(path, i);
        AxisValue av;
        av.label = v.IsScalar() ? v.Scalar() : std::string(node_kind(v));
        if (v.IsScalar() && !labels.insert(av.label).second) {
            src.error(v, vpath, "value '" + av.label + "' appears twice on this axis: sweep points need distinct names");
            ok = false;
            continue;
        }
        if (*key == "count") {
            auto n = as_integer(src, v, vpath, 1);
            if (n) av.value = *n;
            ok = ok && n.has_value();
        } else if (*key == "chip" || *key == "system") {
            auto name = as_string(src, v, vpath);
            const bool chip = *key == "chip";
            if (name && (chip ? cat.chips.count(*name) == 0 : cat.systems.count(*name) == 0)) {
                src.error(v, vpath, unknown_name(*key, *name, chip ? cat.chip_ids() : cat.system_ids()));
                name.reset();
            }
            if (name) av.value = *name;
            ok = ok && name.has_value();
        } else {
            auto raw = decode_override(src, v, vpath, *figure);
            if (raw) {
                if (v.IsMap()) {
                    av.label = raw->provenance.stated.empty() ? "unknown" : raw->provenance.stated;
                    if (!labels.insert(av.label).second) {
                        src.error(v, vpath, "value '" + av.label + "' appears twice on this axis: sweep points need distinct names");
                        ok = false;
                    }
                }
                av.value = std::move(*raw);
            }
            ok = ok && raw.has_value();
        }
        axis.values.push_back(std::move(av));
    }
    if (!ok) return std::nullopt;
    return axis;
}

std::vector<Axis> decode_sweep(const Source& src, const YAML::Node& node, const catalog::Catalog& cat, bool& ok) {
    std::vector<Axis> axes;
    if (!node.IsMap()) {
        src.error(node, "sweep",
                  "expected a mapping of axis key to a list of values, got " + std::string(node_kind(node)));
        ok = false;
        return axes;
    }
    std::set<std::string> seen;
    for (const auto& kv : node) {
        if (kv.first.IsScalar() && !seen.insert(kv.first.Scalar()).second) {
            src.error(kv.first, join_path("sweep", kv.first.Scalar()), "duplicate sweep axis '" + kv.first.Scalar() + "'");
            ok = false;
            continue;
        }
        auto axis = decode_axis(src, kv.first, kv.second, cat);
        if (axis) {
            axes.push_back(std::move(*axis));
        } else {
            ok = false;
        }
    }
    return axes;
}

// Effective chips of one case, shared by every sweep point that does not change them (a count
// axis never does): a sweep of a million rows holds as many chips as distinct override values.
using ChipCache = std::map<std::vector<std::size_t>, std::shared_ptr<const catalog::ChipSpec>>;

// The case at one sweep point, resolved against the catalog.
Case resolve(Draft d, const std::vector<Axis>& axes, const std::vector<std::size_t>& idx, const Source& src,
             const catalog::Catalog& cat, ChipCache& chips) {
    std::string suffix;
    for (std::size_t a = 0; a < axes.size(); ++a) {
        const AxisValue& v = axes[a].values[idx[a]];
        suffix += "|" + axes[a].key + "=" + v.label;
        if (axes[a].key == "count") {
            d.count = std::get<std::int64_t>(v.value);
        } else if (axes[a].key == "chip") {
            d.chip = std::get<std::string>(v.value);
        } else if (axes[a].key == "system") {
            d.system = std::get<std::string>(v.value);
        } else {
            d.overrides[axes[a].key.substr(std::string("overrides.").size())] = std::get<catalog::RawFigure>(v.value);
        }
    }
    Case c;
    c.name = d.name + suffix;
    c.where = src.at(d.node);
    std::vector<std::size_t> key;
    for (std::size_t a = 0; a < axes.size(); ++a) key.push_back(axes[a].key == "count" ? 0 : idx[a]);
    const catalog::SystemSpec* sys = d.system ? &cat.systems.at(*d.system) : nullptr;
    auto& chip = chips[key];
    if (!chip) {
        chip = sys ? catalog::effective_chip(cat.chips.at(sys->chip_id), sys->chip_overrides, d.overrides)
                   : catalog::effective_chip(cat.chips.at(*d.chip), {}, d.overrides);
    }
    c.cluster = sys ? catalog::make_cluster(*sys, chip, d.count) : catalog::make_cluster(chip, *d.count);
    if (d.topology) c.cluster.topology = d.topology;
    c.measured = d.measured;
    return c;
}

// A case's own topology must hold its chips (checked once per distinct count).
bool topology_fits(const Source& src, const Draft& d, const Case& c, const std::string& path) {
    if (!d.topology) return true;
    return check_topology_size(src, d.node["topology"], join_path(path, "topology"), *d.topology,
                               c.cluster.chip_count, "the case");
}

}  // namespace

namespace {

Scenario decode_scenario(const std::optional<YAML::Node>& root, const std::filesystem::path& file,
                         const catalog::Catalog& cat, diag::Diagnostics& diags);

}  // namespace

Scenario load_scenario(const std::filesystem::path& file, const catalog::Catalog& cat) {
    diag::Diagnostics diags;
    const auto root = load_yaml_file(file, diags);
    return decode_scenario(root, file, cat, diags);
}

Scenario load_scenario_text(const std::string& text, const std::string& name, const catalog::Catalog& cat) {
    diag::Diagnostics diags;
    const auto root = parse_yaml_text(text, name, diags);
    return decode_scenario(root, name, cat, diags);
}

namespace {

Scenario decode_scenario(const std::optional<YAML::Node>& root, const std::filesystem::path& file,
                         const catalog::Catalog& cat, diag::Diagnostics& diags) {
    diags.throw_if_any();
    const Source src{file.string(), diags};
    Scenario sc;
    sc.file = file;
    MapReader m(src, *root, "", top_keys);
    if (!m.ok()) diags.throw_if_any();  // not a mapping: nothing else can be read

    if (auto format = m.integer("format", true, 1); format && *format != 1) {
        src.error(m.get("format"), "format",
                  "unsupported format " + std::to_string(*format) + "; this version reads format 1");
    }
    if (auto name = m.string("scenario", true)) {
        if (name->empty()) src.error(m.get("scenario"), "scenario", "the scenario name must not be empty");
        sc.name = *name;
        sc.name_where = src.at(m.get("scenario"));
    }
    sc.description = m.string("description", false).value_or("");
    bool ok = true;
    std::vector<Axis> axes;
    if (m.has("sweep")) axes = decode_sweep(src, m.get("sweep"), cat, ok);
    std::size_t points = 1;
    for (const auto& a : axes) {
        points = a.values.size() > max_rows / points ? max_rows + 1 : points * a.values.size();
    }

    // Names first, so baselines can refer to cases in any order.
    std::vector<YAML::Node> case_nodes;
    std::vector<std::string> names;
    const YAML::Node cases = m.get("cases");
    if (!cases.IsDefined()) {
        if (!m.misspelt("cases")) src.error(m.node(), "", "missing key 'cases' (a list of cases)");
    } else if (!cases.IsSequence() || cases.size() == 0) {
        src.error(cases, "cases", "expected a non-empty list of cases, got " + std::string(node_kind(cases)));
    } else {
        std::set<std::string> seen;
        for (std::size_t i = 0; i < cases.size(); ++i) {
            const YAML::Node node = cases[i];
            case_nodes.push_back(node);
            std::string name;
            if (node.IsMap() && node["name"].IsDefined() && node["name"].IsScalar()) {
                name = node["name"].Scalar();
                const std::string path = index_path("cases", i) + ".name";
                if (!valid_case_name(name)) {
                    src.error(node["name"], path, "case names use letters, digits, '_', '-' and '.', got '" + name + "'");
                } else if (!seen.insert(name).second) {
                    src.error(node["name"], path, "duplicate case name '" + name + "'");
                }
            }
            names.push_back(name);
        }
    }
    if (points > max_rows || points * std::max<std::size_t>(1, case_nodes.size()) > max_rows) {
        src.error(m.get("sweep"), "sweep",
                  "the sweep expands to more than " + std::to_string(max_rows) + " rows; split the scenario");
        diags.throw_if_any();
    }
    // A baseline names a case; `baseline: null` on a case opts out of the scenario's default.
    auto baseline_of = [&](const YAML::Node& at, const std::string& path) -> std::string {
        if (at.IsNull()) return {};
        auto b = as_string(src, at, path);
        if (!b) return {};
        if (std::find(names.begin(), names.end(), *b) == names.end()) {
            src.error(at, path, "baseline '" + *b + "' is not a case" + diag::did_you_mean(*b, names) +
                                    "; cases: " + diag::join_names(names));
            return {};
        }
        return *b;
    };
    const std::string default_baseline = m.has("baseline") ? baseline_of(m.get("baseline"), "baseline") : "";

    for (std::size_t i = 0; i < case_nodes.size(); ++i) {
        const std::string path = index_path("cases", i);
        const YAML::Node& node = case_nodes[i];
        std::string baseline = default_baseline;
        if (node.IsMap() && node["baseline"].IsDefined()) baseline = baseline_of(node["baseline"], path + ".baseline");
        auto draft = decode_draft(src, node, path, cat);
        MapReader shape_reader(src, node, path, case_keys, /*report=*/false);
        const bool shape_ok = shape_reader.ok() && check_shape(src, shape_reader, path, axes);
        if (!draft || !shape_ok || !ok) continue;
        // Every sweep point, cartesian product, last axis fastest.
        std::vector<std::size_t> idx(axes.size(), 0);
        ChipCache chips;
        for (std::size_t p = 0; p < points; ++p) {
            std::size_t rest = p;
            for (std::size_t a = axes.size(); a-- > 0;) {
                idx[a] = rest % axes[a].values.size();
                rest /= axes[a].values.size();
            }
            Case c = resolve(*draft, axes, idx, src, cat, chips);
            if (!topology_fits(src, *draft, c, path)) continue;
            if (draft->training || draft->serving) {
                c.job_network = c.cluster.topology;
                const catalog::SystemSpec* sys =
                    c.cluster.system_id.empty() ? nullptr : &cat.systems.at(c.cluster.system_id);
                if (!c.job_network && sys && sys->topology &&
                    topo::analyze(sys->topology->params).accelerators >= c.cluster.chip_count)
                    c.job_network = sys->topology;
                if (!c.job_network) {
                    const bool training = draft->training.has_value();
                    src.error(training ? draft->training->node : draft->serving->node, path + (training ? ".training" : ".serving"),
                              std::string(training ? "training" : "serving") +
                                  " runs its collectives on the network: the case needs a topology holding its " +
                                  std::to_string(c.cluster.chip_count) + " chips (a system with one, or a 'topology' section)");
                    continue;
                }
            }
            if (draft->training) {
                TrainingDraft t = *draft->training;
                if (!check_training_plan(src, t, path + ".training", c.cluster.chip_count)) continue;
                c.training = std::move(t.spec);
                c.reliability = draft->reliability;
            }
            if (draft->serving) {
                ServingDraft sd = *draft->serving;
                if (!check_serving_instances(src, sd, path + ".serving", c.cluster.chip_count)) continue;
                c.serving = std::move(sd.spec);
            }
            // A case is not compared with itself (the default baseline's own row has no ratios).
            if (!baseline.empty() && baseline != draft->name) c.baseline = baseline + c.name.substr(draft->name.size());
            sc.cases.push_back(std::move(c));
        }
    }
    diags.throw_if_any();
    return sc;
}

}  // namespace

}  // namespace clustersim::scenario
