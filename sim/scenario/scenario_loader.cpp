#include "scenario/scenario_loader.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <variant>

#include "diag/suggest.hpp"
#include "scenario/economics_decoder.hpp"
#include "scenario/figure_decoder.hpp"
#include "scenario/topology_decoder.hpp"
#include "scenario/comm_decoder.hpp"
#include "scenario/reliability_decoder.hpp"
#include "scenario/serving_decoder.hpp"
#include "scenario/sweep.hpp"
#include "scenario/training_decoder.hpp"
#include "topo/metrics.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> top_keys{"format", "scenario", "description", "baseline",
                                        "cases",  "sweep",    "economics",   "crossover"};
const std::vector<std::string> case_keys = [] {
    std::vector<std::string> keys{"name"};
    keys.insert(keys.end(), case_field_keys().begin(), case_field_keys().end());
    keys.emplace_back("sweep");
    return keys;
}();
// Sweeps are expanded in memory (about 2.5 kB per row; an overrides axis gives each point its own
// effective chip, about 23 kB per row): beyond this many rows, split the scenario. The rows' results
// stream (run::stream_scenario); expanding the cases lazily would lift this limit too.
constexpr std::size_t max_rows = 1'000'000;

bool valid_case_name(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
}

/// A case as written, before sweep values are applied and names are resolved.
struct Draft {
    std::string name;
    YAML::Node node;    ///< as decoded: the case with its field-axis values set
    YAML::Node origin;  ///< the case as written, for its location
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
    std::optional<economics::Assumptions> economics;  ///< the case's own (else the file's)
    std::optional<comm::BenchmarkSpec> comm;
    YAML::Node comm_node;
};

std::optional<Draft> decode_draft(const Source& src, const YAML::Node& node, const std::string& path,
                                  const catalog::Catalog& cat) {
    MapReader m(src, node, path, case_keys);
    if (!m.ok()) return std::nullopt;
    Draft d;
    d.node = node;
    d.origin = node;
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
    if (m.has("comm")) {
        d.comm_node = m.get("comm");
        d.comm = decode_comm(src, d.comm_node, join_path(path, "comm"));
        ok = ok && d.comm.has_value();
    }
    if (m.has("economics")) {
        d.economics = decode_economics(src, m.get("economics"), join_path(path, "economics"), cat);
        ok = ok && d.economics.has_value();
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
bool check_shape(const Source& src, const MapReader& m, const std::string& path, const Sweep& sweep) {
    auto swept = [&sweep](std::string_view key) { return sweep.swept(key); };
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

// Effective chips of one case, shared by every sweep point that does not change them (count and
// field axes never do): a sweep of a million rows holds as many chips as distinct override values.
using ChipCache = std::map<std::vector<std::size_t>, std::shared_ptr<const catalog::ChipSpec>>;

// The case at one sweep point (idx: the value of each factor), resolved against the catalog. The
// field axes' values are already in the draft.
Case resolve(Draft d, const Sweep& sweep, const std::vector<std::size_t>& idx, const Source& src,
             const catalog::Catalog& cat, ChipCache& chips) {
    std::string suffix;
    std::vector<std::pair<std::string, std::string>> series;
    std::vector<std::size_t> key(idx.size(), 0);
    for (std::size_t f = 0; f < sweep.factors.size(); ++f) {
        for (const auto& axis : sweep.factors[f].axes) {
            const SweepValue& v = axis.values[idx[f]];
            suffix += "|" + axis.key + "=" + v.label;
            if (!sweep.factors[f].has(AxisKind::count)) series.emplace_back(axis.key, v.label);
            switch (axis.kind) {
                case AxisKind::count: d.count = std::get<std::int64_t>(v.typed); break;
                case AxisKind::chip: d.chip = std::get<std::string>(v.typed); break;
                case AxisKind::system: d.system = std::get<std::string>(v.typed); break;
                case AxisKind::override_figure: d.overrides[axis.figure] = std::get<catalog::RawFigure>(v.typed); break;
                case AxisKind::field: break;
            }
            if (axis.kind == AxisKind::chip || axis.kind == AxisKind::system || axis.kind == AxisKind::override_figure) {
                key[f] = idx[f];
            }
        }
    }
    Case c;
    c.name = d.name + suffix;
    c.case_name = d.name;
    c.series = std::move(series);
    c.where = src.at(d.origin);
    const catalog::SystemSpec* sys = d.system ? &cat.systems.at(*d.system) : nullptr;
    auto& chip = chips[key];
    if (!chip) {
        chip = sys ? catalog::effective_chip(cat.chips.at(sys->chip_id), sys->chip_overrides, d.overrides)
                   : catalog::effective_chip(cat.chips.at(*d.chip), {}, d.overrides);
    }
    c.cluster = sys ? catalog::make_cluster(*sys, chip, d.count) : catalog::make_cluster(chip, *d.count);
    if (d.topology) c.cluster.topology = d.topology;
    c.measured = d.measured;
    c.economics = d.economics;
    return c;
}

/// A field axis' value set into one case at one combination of field-axis values.
struct Assignment {
    const SweepAxis* axis = nullptr;
    const SweepValue* value = nullptr;
    std::string full;  ///< the key path it sets: "cases[0].training.global_batch"
};

// True when `path` is `at` or a key path inside it.
bool under(const std::string& path, const std::string& at) {
    return path.compare(0, at.size(), at) == 0 &&
           (path.size() == at.size() || path[at.size()] == '.' || path[at.size()] == '[');
}

// The node at key path `rel` ("training.plan", "[1].radix", "") inside `root`, or the deepest
// one on the way; and whether the whole path is there.
std::pair<YAML::Node, bool> locate(const YAML::Node& root, const std::string& rel) {
    YAML::Node cur;
    cur.reset(root);
    if (rel.empty()) return {cur, true};
    auto steps = parse_key_path(rel.front() == '[' ? "_" + rel : rel);
    if (!steps) return {cur, false};
    if (rel.front() == '[') steps->erase(steps->begin());
    for (const auto& step : *steps) {
        // A missing key gives an invalid node, which may be tested but not reset() to.
        const YAML::Node& here = cur;
        const YAML::Node next = std::holds_alternative<std::string>(step)
                                    ? (cur.IsMap() ? here[std::get<std::string>(step)] : YAML::Node(YAML::NodeType::Undefined))
                                    : (cur.IsSequence() && std::get<std::size_t>(step) < cur.size() ? here[std::get<std::size_t>(step)]
                                                                                                    : YAML::Node(YAML::NodeType::Undefined));
        if (!next.IsDefined()) return {cur, false};
        cur.reset(next);
    }
    return {cur, true};
}

// The n-th (from 0) key `key` of a mapping, or an undefined node.
YAML::Node key_of(const YAML::Node& map, const std::string& key, int n) {
    if (map.IsMap()) {
        for (const auto& kv : map) {
            if (kv.first.IsScalar() && kv.first.Scalar() == key && n-- == 0) return kv.first;
        }
    }
    return YAML::Node(YAML::NodeType::Undefined);
}

// "x" from a message starting with `prefix` "x'...", or "".
std::string quoted_word(const std::string& message, const std::string& prefix) {
    if (message.rfind(prefix, 0) != 0) return {};
    const std::size_t end = message.find('\'', prefix.size());
    return end == std::string::npos ? std::string() : message.substr(prefix.size(), end - prefix.size());
}

// The node as written that a problem at key path `rel` of `root` is about: the node at that path,
// or for MapReader's unknown and duplicate keys (reported at a key of a mapping) that key.
std::pair<YAML::Node, bool> place(const YAML::Node& root, const std::string& rel, const std::string& message) {
    if (const auto key = quoted_word(message, "unknown key '"); !key.empty()) {
        const auto [map, found] = locate(root, rel);
        if (const auto k = key_of(map, key, 0); found && k.IsDefined()) return {k, true};
    }
    if (const auto key = quoted_word(message, "duplicate key '"); !key.empty() && rel.size() > key.size()) {
        const auto [map, found] = locate(root, rel.substr(0, rel.size() - key.size() - 1));
        if (const auto k = key_of(map, key, 1); found && k.IsDefined()) return {k, true};
    }
    return locate(root, rel);
}

// Reports the problems found in a case decoded with field-axis values set (`local`), where they
// belong. The case was decoded from a copy without file locations (see decode_scenario), so each
// problem is placed by its key path: inside a swept value, at that value in the sweep section
// (sweep.training.global_batch[2]: ...); an unknown key on an axis' path, at the axis key; any
// other, at the case as written.
void report(const Source& src, const diag::Diagnostics& local, const YAML::Node& original, const std::string& case_path,
            const std::vector<Assignment>& set) {
    for (auto d : local.sorted()) {
        if (set.empty() || !under(d.key_path, case_path)) {
            src.diags.error(d.where, d.key_path, d.message);
            continue;
        }
        const std::string rel = d.key_path.size() > case_path.size() ? d.key_path.substr(case_path.size() + 1) : "";
        const Assignment* owner = nullptr;     // the value the problem is in
        const Assignment* through = nullptr;   // an axis whose path runs through the problem's place
        const Assignment* misnamed = nullptr;  // an axis that adds a key unknown there
        for (const auto& a : set) {
            if (under(d.key_path, a.full)) {
                if (owner == nullptr || a.full.size() > owner->full.size()) owner = &a;
            } else if (under(a.full, d.key_path)) {
                if (through == nullptr) through = &a;
                const std::size_t start = d.key_path.size() + 1;
                const std::string next = a.full[d.key_path.size()] == '.'
                                             ? a.full.substr(start, a.full.find_first_of(".[", start) - start)
                                             : std::string();
                if (!next.empty() && quoted_word(d.message, "unknown key '") == next &&
                    !key_of(locate(original, rel).first, next, 0).IsDefined()) {
                    misnamed = &a;
                }
            }
        }
        if (owner != nullptr) {
            const std::string sub = d.key_path.substr(owner->full.size());
            d.key_path = owner->value->path + sub;
            const YAML::Node& value = owner->value->node;
            d.where = src.at(value.Mark().is_null() ? owner->value->where
                                                    : place(value, sub.empty() || sub.front() == '[' ? sub : sub.substr(1), d.message).first);
        } else if (misnamed != nullptr) {
            src.diags.error(src.at(misnamed->axis->where), misnamed->axis->section,
                            "cannot sweep '" + misnamed->axis->key + "': " + d.message);
            continue;
        } else {
            const auto [at, found] = place(original, rel, d.message);
            if (through != nullptr && !found) {
                d.message += "; sweep axis '" + through->axis->key + "' adds '" + rel + "' to this case, which has none";
            }
            d.where = src.at(at);
        }
        src.diags.error(d.where, d.key_path, d.message);
    }
}

// A row compares with its baseline's row at the same sweep point; when the baseline case has other
// points (its own sweep) but a single row, that row serves every point; otherwise it is an error.
void match_baselines(const Source& src, Scenario& sc, const std::vector<std::string>& names) {
    std::set<std::string_view> rows;
    std::map<std::string_view, std::vector<std::string_view>> rows_of;
    for (const auto& c : sc.cases) {
        rows.insert(c.name);
        rows_of[c.case_name].push_back(c.name);
    }
    std::set<std::string> reported;
    for (auto& c : sc.cases) {
        if (c.baseline.empty() || rows.count(c.baseline) != 0) continue;
        const std::string base = c.baseline.substr(0, c.baseline.find('|'));
        const auto& base_rows = rows_of[base];
        if (base_rows.size() == 1) {
            c.baseline = std::string(base_rows.front());
            continue;
        }
        if (!reported.insert(c.case_name).second) continue;
        const auto at = std::find(names.begin(), names.end(), c.case_name);
        src.diags.error(c.where, index_path("cases", static_cast<std::size_t>(at - names.begin())) + ".baseline",
                        "baseline '" + base + "' has no row '" + c.baseline + "': a case and its baseline need the same sweep points, "
                        "or a baseline with one row (its own sweep gives '" + base + "' " + std::to_string(base_rows.size()) + " rows)");
    }
}

// The `crossover` list: pairs of cases whose throughput curves are compared (run::crossovers).
std::vector<Crossover> decode_crossovers(const Source& src, const YAML::Node& node, const std::vector<std::string>& names,
                                         const Scenario& sc) {
    std::vector<Crossover> out;
    if (!node.IsSequence() || node.size() == 0) {
        src.error(node, "crossover", "expected a non-empty list of {reference, candidate, metric}, got " + std::string(node_kind(node)));
        return out;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
        const std::string path = index_path("crossover", i);
        MapReader m(src, node[i], path, {"reference", "candidate", "metric"});
        if (!m.ok()) continue;
        Crossover x;
        x.where = src.at(node[i]);
        bool ok = true;
        const auto metric = m.string("metric", true);
        if (metric && *metric != "training" && *metric != "serving") {
            src.error(m.get("metric"), join_path(path, "metric"), "unknown metric '" + *metric + "'; valid: training (training tokens/s), serving (serving output tokens/s)");
            ok = false;
        }
        x.metric = metric && *metric == "serving" ? Crossover::Metric::serving : Crossover::Metric::training;
        for (const char* role : {"reference", "candidate"}) {
            const auto name = m.string(role, true);
            if (!name) {
                ok = false;
                continue;
            }
            const std::string at = join_path(path, role);
            if (std::find(names.begin(), names.end(), *name) == names.end()) {
                src.error(m.get(role), at, "'" + *name + "' is not a case" + diag::did_you_mean(*name, names) + "; cases: " + diag::join_names(names));
                ok = false;
                continue;
            }
            const bool has_job = std::any_of(sc.cases.begin(), sc.cases.end(), [&](const Case& c) {
                return c.case_name == *name && (x.metric == Crossover::Metric::training ? c.training.has_value() : c.serving.has_value());
            });
            if (metric && !has_job) {
                src.error(m.get(role), at, "case '" + *name + "' has no '" + *metric + "' section: a " + *metric + " crossover compares " + *metric + " throughput");
                ok = false;
            }
            (std::string(role) == "reference" ? x.reference : x.candidate) = *name;
        }
        if (ok && x.reference == x.candidate) {
            src.error(node[i], path, "the reference and the candidate are the same case '" + x.reference + "'");
            ok = false;
        }
        if (ok) out.push_back(std::move(x));
    }
    return out;
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

std::string series_text(const Case& c) {
    std::string out;
    for (const auto& [axis, label] : c.series) out += (out.empty() ? "" : "|") + axis + "=" + label;
    return out;
}

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
    bool file_ok = true;
    Sweep file_sweep;
    if (m.has("sweep")) file_sweep = decode_sweep(src, m.get("sweep"), "sweep", cat, max_rows, file_ok);
    std::optional<economics::Assumptions> default_economics;
    if (m.has("economics")) default_economics = decode_economics(src, m.get("economics"), "economics", cat);

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
    // Each case's sweep: the file's axes, then the case's own (a `sweep` in the case).
    std::vector<Sweep> case_sweeps(case_nodes.size(), file_sweep);
    std::vector<bool> case_sweep_ok(case_nodes.size(), file_ok);
    std::size_t rows = 0;
    for (std::size_t i = 0; i < case_nodes.size(); ++i) {
        const YAML::Node& node = case_nodes[i];
        if (node.IsMap() && node["sweep"].IsDefined()) {
            bool own_ok = true;
            const std::string at = index_path("cases", i) + ".sweep";
            Sweep own = decode_sweep(src, node["sweep"], at, cat, max_rows, own_ok);
            for (auto& factor : own.factors) {
                for (const auto& axis : factor.axes) {
                    for (const auto& top : file_sweep.factors) {
                        for (const auto& t : top.axes) {
                            if (t.key != axis.key) continue;
                            src.error(axis.where, join_path(at, axis.key),
                                      "'" + axis.key + "' is also an axis of the file's sweep: sweep it in one place");
                            own_ok = false;
                        }
                    }
                }
                case_sweeps[i].factors.push_back(std::move(factor));
            }
            case_sweep_ok[i] = file_ok && own_ok;
        }
        const std::size_t points = case_sweeps[i].points(max_rows);
        rows = points > max_rows - std::min(rows, max_rows) ? max_rows + 1 : rows + points;
    }
    if (rows > max_rows) {
        src.error(m.has("sweep") ? m.get("sweep") : m.get("cases"), m.has("sweep") ? "sweep" : "cases",
                  "the sweeps expand to more than " + std::to_string(max_rows) + " rows; split the scenario");
        diags.throw_if_any();
    }
    // A baseline names a case; `baseline: null` on a case opts out of the scenario's default.
    auto baseline_of = [&names](const Source& at_src, const YAML::Node& at, const std::string& path) -> std::string {
        if (at.IsNull()) return {};
        auto b = as_string(at_src, at, path);
        if (!b) return {};
        if (std::find(names.begin(), names.end(), *b) == names.end()) {
            at_src.error(at, path, "baseline '" + *b + "' is not a case" + diag::did_you_mean(*b, names) +
                                       "; cases: " + diag::join_names(names));
            return {};
        }
        return *b;
    };
    const std::string default_baseline = m.has("baseline") ? baseline_of(src, m.get("baseline"), "baseline") : "";

    // The accelerators of a system's network, analysed once per system (not once per point).
    std::map<std::string, std::int64_t> system_sizes;
    auto system_size = [&system_sizes](const catalog::SystemSpec& sys) {
        auto [it, added] = system_sizes.try_emplace(sys.id, 0);
        if (added) it->second = topo::analyze(sys.topology->params).accelerators;
        return it->second;
    };

    for (std::size_t i = 0; i < case_nodes.size(); ++i) {
        const std::string path = index_path("cases", i);
        const YAML::Node& node = case_nodes[i];
        const Sweep& sweep = case_sweeps[i];
        const bool ok = case_sweep_ok[i];
        const std::size_t points = sweep.points(max_rows);
        // The factors with field axes: the case is decoded once per combination of their values; the
        // other (typed) axes are applied to the decoded case at each point.
        const auto& factors = sweep.factors;
        std::vector<bool> field_factor(factors.size());
        for (std::size_t f = 0; f < factors.size(); ++f) field_factor[f] = factors[f].has(AxisKind::field);
        std::vector<std::size_t> stride(factors.size(), 1);  // point index = sum of idx[f] x stride[f]
        for (std::size_t f = factors.size(); f-- > 1;) stride[f - 1] = stride[f] * factors[f].size();
        std::size_t combos = 1;
        for (std::size_t f = 0; f < factors.size(); ++f) {
            if (field_factor[f]) combos *= factors[f].size();
        }
        // A sweep with problems has no points; each case is still decoded once, for its own problems.
        if (!ok) combos = std::min<std::size_t>(combos, 1);
        const std::size_t typed_points = ok ? points / combos : 0;
        const bool set_fields = std::find(field_factor.begin(), field_factor.end(), true) != field_factor.end();
        MapReader shape_reader(src, node, path, case_keys, /*report=*/false);
        const bool shape_ok = shape_reader.ok() && check_shape(src, shape_reader, path, sweep);
        // A key inside a section needs the section: alone it is never a valid one.
        bool sections_ok = true;
        for (const auto& factor : factors) {
            for (const auto& axis : factor.axes) {
                if (axis.kind != AxisKind::field || axis.path.size() < 2 || !node.IsMap()) continue;
                const std::string& section = std::get<std::string>(axis.path.front());
                const YAML::Node there = node[section];
                if (there.IsDefined() && !there.IsNull()) continue;
                src.error(node, path,
                          "sweep axis '" + axis.key + "' sets a key inside '" + section + "', but this case has no '" +
                              section + "' section");
                sections_ok = false;
            }
        }
        if (!sections_ok) continue;
        const std::size_t first = sc.cases.size();
        const bool expand = ok && shape_ok;
        if (expand) sc.cases.resize(first + points);
        std::vector<std::size_t> idx(factors.size(), 0);
        ChipCache chips;
        for (std::size_t g = 0; g < combos; ++g) {
            std::size_t rest = g;
            for (std::size_t f = factors.size(); f-- > 0;) {
                if (!field_factor[f]) continue;
                idx[f] = rest % factors[f].size();
                rest /= factors[f].size();
            }
            // The case with this combination's field values set. With field axes it is a copy (YAML::Clone)
            // of the case and of the values, without file locations (report() places each problem by
            // its key path): a copy that shared nodes with the file would join the file's yaml-cpp
            // memory and live, with every other copy, as long as the file (quadratic time, and memory
            // growing with each combination).
            YAML::Node copy;
            copy.reset(set_fields ? YAML::Clone(node) : node);
            std::vector<Assignment> set;
            bool set_ok = true;
            for (std::size_t f = 0; f < factors.size(); ++f) {
                if (!field_factor[f]) continue;
                for (const auto& axis : factors[f].axes) {
                    if (axis.kind != AxisKind::field) continue;
                    const SweepValue& v = axis.values[idx[f]];
                    auto with = with_value_at(copy, axis.path, YAML::Clone(v.node));
                    if (auto* err = std::get_if<std::string>(&with)) {
                        src.error(axis.where, axis.section, "cannot sweep '" + axis.key + "' in " + path + ": " + *err);
                        set_ok = false;
                        continue;
                    }
                    copy.reset(std::get<YAML::Node>(with));
                    set.push_back(Assignment{&axis, &v, join_path(path, axis.key)});
                }
            }
            if (!set_ok) continue;
            diag::Diagnostics local;
            const Source here{src.file, local};
            const YAML::Node& decoded = copy;
            auto draft = decode_draft(here, decoded, path, cat);
            std::string baseline = default_baseline;
            if (decoded.IsMap() && decoded["baseline"].IsDefined()) baseline = baseline_of(here, decoded["baseline"], path + ".baseline");
            if (draft) draft->origin.reset(node);  // reset: Node assignment would write into the copy
            // Every point of this combination: the typed factors' values, last factor fastest.
            for (std::size_t t = 0; draft && expand && t < typed_points; ++t) {
                rest = t;
                std::size_t p = 0;
                for (std::size_t f = factors.size(); f-- > 0;) {
                    if (!field_factor[f]) {
                        idx[f] = rest % factors[f].size();
                        rest /= factors[f].size();
                    }
                    p += idx[f] * stride[f];
                }
                Case c = resolve(*draft, sweep, idx, here, cat, chips);
                if (!topology_fits(here, *draft, c, path)) continue;
                if (draft->training || draft->serving || draft->comm) {
                    c.job_network = c.cluster.topology;
                    const catalog::SystemSpec* sys =
                        c.cluster.system_id.empty() ? nullptr : &cat.systems.at(c.cluster.system_id);
                    if (!c.job_network && sys && sys->topology && system_size(*sys) >= c.cluster.chip_count)
                        c.job_network = sys->topology;
                    if (!c.job_network) {
                        const char* job = draft->training ? "training" : draft->serving ? "serving" : "comm";
                        const YAML::Node& at = draft->training  ? draft->training->node
                                               : draft->serving ? draft->serving->node
                                                                : draft->comm_node;
                        here.error(at, path + "." + job,
                                   std::string(job) + " runs its collectives on the network: the case needs a topology holding its " +
                                       std::to_string(c.cluster.chip_count) + " chips (a system with one, or a 'topology' section)");
                        continue;
                    }
                }
                if (draft->comm) {
                    if (!check_comm_groups(here, draft->comm_node, path + ".comm", *draft->comm, c.cluster.chip_count)) continue;
                    c.comm = draft->comm;
                }
                if (draft->training) {
                    TrainingDraft tr = *draft->training;
                    if (!check_training_plan(here, tr, path + ".training", c.cluster.chip_count)) continue;
                    if (!check_training_cluster(here, tr, path + ".training", c.cluster)) continue;
                    c.training = std::move(tr.spec);
                    c.reliability = draft->reliability;
                }
                if (draft->serving) {
                    ServingDraft sd = *draft->serving;
                    if (!check_serving_instances(here, sd, path + ".serving", c.cluster.chip_count)) continue;
                    c.serving = std::move(sd.spec);
                }
                // A case is not compared with itself (the default baseline's own row has no ratios).
                if (!baseline.empty() && baseline != draft->name) c.baseline = baseline + c.name.substr(draft->name.size());
                if (!c.economics) c.economics = default_economics;
                sc.cases[first + p] = std::move(c);
            }
            if (!local.empty()) report(src, local, node, path, set);
        }
    }
    diags.throw_if_any();
    match_baselines(src, sc, names);
    if (m.has("crossover")) sc.crossovers = decode_crossovers(src, m.get("crossover"), names, sc);
    diags.throw_if_any();
    return sc;
}

}  // namespace

}  // namespace clustersim::scenario
