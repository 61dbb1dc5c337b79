#include "scenario/scenario_loader.hpp"

#include <algorithm>
#include <set>

#include "diag/suggest.hpp"
#include "scenario/figure_decoder.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> top_keys{"format", "scenario", "description", "baseline", "cases", "sweep"};
const std::vector<std::string> case_keys{"name", "description", "system", "chip", "count", "overrides", "baseline"};
// Case fields a sweep axis may set (the first segment of its key path).
const std::vector<std::string> sweepable_keys{"system", "chip", "count", "overrides"};

bool valid_case_name(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
    });
}

struct Axis {
    std::string key;  ///< key path relative to a case, e.g. "count" or "overrides.tdp"
    std::vector<YAML::Node> values;
};

// Decodes a case node (possibly with sweep values substituted) into a cluster.
std::optional<Case> decode_case(const Source& src, const YAML::Node& node, const std::string& path,
                                const catalog::Catalog& cat) {
    MapReader m(src, node, path, case_keys);
    if (!m.ok()) return std::nullopt;
    Case c;
    c.where = src.at(node);
    c.name = m.string("name", true).value_or("");
    bool ok = !c.name.empty();
    const bool has_system = m.has("system");
    const bool has_chip = m.has("chip");
    if (has_system == has_chip) {
        src.error(node, path,
                  has_system ? "a case names either a 'system' preset or a 'chip' with a 'count', not both"
                             : "a case needs a 'system' preset, or a 'chip' with a 'count'");
        ok = false;
    }
    std::optional<std::int64_t> count;
    if (m.has("count")) {
        count = as_integer(src, m.get("count"), join_path(path, "count"), 1);
        ok = ok && count.has_value();
    } else if (has_chip && !has_system) {
        src.error(node, path, "missing key 'count' (how many chips of '" + m.string("chip", false).value_or("") + "')");
        ok = false;
    }
    catalog::FigureOverrides overrides;
    if (m.has("overrides")) {
        std::vector<std::string> names;
        for (const auto& info : catalog::chip_figures) names.emplace_back(info.name);
        MapReader ov(src, m.get("overrides"), join_path(path, "overrides"), names);
        ok = ok && ov.ok();
        for (const auto& info : catalog::chip_figures) {
            YAML::Node n = ov.get(info.name);
            if (!n.IsDefined()) continue;
            auto raw = decode_override(src, n, join_path(join_path(path, "overrides"), info.name), info);
            if (raw) overrides.emplace(std::string(info.name), std::move(*raw));
            ok = ok && raw.has_value();
        }
    }
    auto unknown = [&](std::string_view what, const std::string& name, const std::vector<std::string>& valid,
                       std::string_view key) {
        src.error(m.get(key), join_path(path, key),
                  "unknown " + std::string(what) + " '" + name + "'" + diag::did_you_mean(name, valid) +
                      "; valid: " + diag::join_names(valid) + " (see 'clustersim list " + std::string(what) + "s')");
    };
    if (has_system && !has_chip) {
        auto id = m.string("system", true);
        const auto it = id ? cat.systems.find(*id) : cat.systems.end();
        if (id && it == cat.systems.end()) unknown("system", *id, cat.system_ids(), "system");
        if (ok && it != cat.systems.end()) {
            const auto& chip = cat.chips.at(it->second.chip_id);
            c.chip_id = chip.id;
            c.cluster = catalog::make_cluster(it->second, chip, count, overrides);
            return c;
        }
    } else if (has_chip && !has_system) {
        auto id = m.string("chip", true);
        const auto it = id ? cat.chips.find(*id) : cat.chips.end();
        if (id && it == cat.chips.end()) unknown("chip", *id, cat.chip_ids(), "chip");
        if (ok && it != cat.chips.end()) {
            c.chip_id = it->first;
            c.cluster = catalog::make_cluster(it->second, *count, overrides);
            return c;
        }
    }
    return std::nullopt;
}

std::vector<Axis> decode_sweep(const Source& src, const YAML::Node& node) {
    std::vector<Axis> axes;
    if (!node.IsMap()) {
        src.error(node, "sweep", "expected a mapping of axis key to a list of values, got " + std::string(node_kind(node)));
        return axes;
    }
    std::set<std::string> seen;
    for (const auto& kv : node) {
        auto key = as_string(src, kv.first, "sweep");
        if (!key) continue;
        const std::string path = join_path("sweep", *key);
        const std::string head = key->substr(0, key->find('.'));
        if (std::find(sweepable_keys.begin(), sweepable_keys.end(), head) == sweepable_keys.end()) {
            src.error(kv.first, "sweep",
                      "cannot sweep '" + *key + "'" + diag::did_you_mean(head, sweepable_keys) +
                          "; a sweep axis sets a case field: " + diag::join_names(sweepable_keys) +
                          " (e.g. 'count' or 'overrides.hbm_bandwidth')");
            continue;
        }
        if (head == "overrides" && key->find('.') == std::string::npos) {
            src.error(kv.first, "sweep", "name the figure to sweep, e.g. 'overrides.hbm_bandwidth'");
            continue;
        }
        if (!seen.insert(*key).second) {
            src.error(kv.first, path, "duplicate sweep axis '" + *key + "'");
            continue;
        }
        if (!kv.second.IsSequence() || kv.second.size() == 0) {
            src.error(kv.second, path, "expected a non-empty list of values, got " + std::string(node_kind(kv.second)));
            continue;
        }
        Axis axis{*key, {}};
        for (const auto& v : kv.second) axis.values.push_back(v);
        axes.push_back(std::move(axis));
    }
    return axes;
}

// Sets a (possibly dotted) key path in a cloned case node.
void set_path(YAML::Node node, const std::string& key, const YAML::Node& value) {
    const auto dot = key.find('.');
    if (dot == std::string::npos) {
        node[key] = value;
        return;
    }
    const std::string head = key.substr(0, dot);
    if (!node[head].IsMap()) node[head] = YAML::Node(YAML::NodeType::Map);
    set_path(node[head], key.substr(dot + 1), value);
}

std::string point_suffix(const std::vector<Axis>& axes, const std::vector<std::size_t>& idx) {
    std::string s;
    for (std::size_t a = 0; a < axes.size(); ++a) {
        const YAML::Node& v = axes[a].values[idx[a]];
        s += "/" + axes[a].key + "=" + (v.IsScalar() ? v.Scalar() : std::string("{...}"));
    }
    return s;
}

}  // namespace

Scenario load_scenario(const std::filesystem::path& file, const catalog::Catalog& cat) {
    diag::Diagnostics diags;
    auto root = load_yaml_file(file, diags);
    if (!root) {
        diags.throw_if_any();
    }
    const Source src{file.string(), diags};
    Scenario sc;
    sc.file = file;
    MapReader m(src, *root, "", top_keys);
    if (!m.ok()) diags.throw_if_any();

    if (auto format = m.integer("format", true, 1); format && *format != 1) {
        src.error(m.get("format"), "format", "unsupported format " + std::to_string(*format) + "; this version reads format 1");
    }
    sc.name = m.string("scenario", true).value_or("");
    sc.description = m.string("description", false).value_or("");
    std::vector<Axis> axes;
    if (m.has("sweep")) axes = decode_sweep(src, m.get("sweep"));

    // First pass: names and baselines, so references can be checked whatever their order.
    std::vector<std::string> names;
    std::vector<std::string> baselines;
    std::vector<YAML::Node> case_nodes;
    const auto cases = m.require("cases", "a list of cases");
    if (cases && (!cases->IsSequence() || cases->size() == 0)) {
        src.error(*cases, "cases", "expected a non-empty list of cases, got " + std::string(node_kind(*cases)));
    } else if (cases) {
        std::set<std::string> seen;
        for (std::size_t i = 0; i < cases->size(); ++i) {
            const YAML::Node node = (*cases)[i];
            case_nodes.push_back(node);
            std::string name;
            if (node.IsMap() && node["name"].IsDefined() && node["name"].IsScalar()) {
                name = node["name"].Scalar();
                if (!valid_case_name(name)) {
                    src.error(node["name"], index_path("cases", i) + ".name",
                              "case names use letters, digits, '_', '-' and '.', got '" + name + "'");
                } else if (!seen.insert(name).second) {
                    src.error(node["name"], index_path("cases", i) + ".name", "duplicate case name '" + name + "'");
                }
            }
            names.push_back(name);
        }
    }
    const std::string default_baseline = m.string("baseline", false).value_or("");
    auto check_baseline = [&](const std::string& b, const YAML::Node& at, const std::string& path) {
        if (!b.empty() && std::find(names.begin(), names.end(), b) == names.end()) {
            src.error(at, path, "baseline '" + b + "' is not a case" + diag::did_you_mean(b, names) +
                                    "; cases: " + diag::join_names(names));
            return false;
        }
        return true;
    };
    check_baseline(default_baseline, m.get("baseline"), "baseline");
    for (std::size_t i = 0; i < case_nodes.size(); ++i) {
        std::string b = default_baseline;
        const YAML::Node& node = case_nodes[i];
        if (node.IsMap() && node["baseline"].IsDefined()) {
            b = as_string(src, node["baseline"], index_path("cases", i) + ".baseline").value_or("");
            if (!check_baseline(b, node["baseline"], index_path("cases", i) + ".baseline")) b.clear();
        }
        baselines.push_back(b);
    }

    // Second pass: every case at every sweep point (cartesian product, last axis fastest).
    std::size_t points = 1;
    for (const auto& a : axes) points *= a.values.size();
    for (std::size_t i = 0; i < case_nodes.size(); ++i) {
        const std::string path = index_path("cases", i);
        std::vector<std::size_t> idx(axes.size(), 0);
        for (std::size_t p = 0; p < points; ++p) {
            std::size_t rest = p;
            for (std::size_t a = axes.size(); a-- > 0;) {
                idx[a] = rest % axes[a].values.size();
                rest /= axes[a].values.size();
            }
            YAML::Node node = case_nodes[i];
            if (!axes.empty() && node.IsMap()) {
                node = YAML::Clone(case_nodes[i]);
                for (std::size_t a = 0; a < axes.size(); ++a) set_path(node, axes[a].key, axes[a].values[idx[a]]);
            }
            auto c = decode_case(src, node, path, cat);
            if (!c) continue;
            const std::string suffix = point_suffix(axes, idx);
            c->name += suffix;
            if (!baselines[i].empty()) c->baseline = baselines[i] + suffix;
            sc.cases.push_back(std::move(*c));
        }
    }
    diags.throw_if_any();
    return sc;
}

}  // namespace clustersim::scenario
