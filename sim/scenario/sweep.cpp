#include "scenario/sweep.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "diag/suggest.hpp"
#include "scenario/figure_decoder.hpp"
#include "units/dimension.hpp"
#include "units/format.hpp"
#include "units/parse.hpp"

namespace clustersim::scenario {

const std::vector<std::string>& case_field_keys() {
    static const std::vector<std::string> keys{"description", "system",      "chip",      "count",    "overrides",
                                               "baseline",    "topology",    "training",  "serving",  "reliability",
                                               "economics",   "measured",    "comm"};
    return keys;
}

namespace {

const std::vector<std::string> range_keys{"from", "to", "step", "steps", "factor", "scale", "direction"};

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

std::string a_or_an(std::string_view noun) {
    const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun.front()) != std::string_view::npos;
    return (vowel ? "an " : "a ") + std::string(noun);
}

// A scalar, null, or a mapping or list written back in flow style: "{tp: 8, pp: 2}".
std::string label_of(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    if (n.IsNull()) return "null";
    YAML::Emitter e;
    e.SetMapFormat(YAML::Flow);
    e.SetSeqFormat(YAML::Flow);
    e << n;
    return e.good() ? std::string(e.c_str()) : std::string(node_kind(n));
}

bool is_zip_key(std::string_view key) { return key == "zip" || key.rfind("zip.", 0) == 0; }

bool valid_zip_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
    });
}

// ---------------------------------------------------------------- ranges

// One number of a range as written: a plain number, or a value with its unit.
struct Bound {
    double si = 0.0;     ///< SI (a plain number: itself)
    double number = 0.0;  ///< the number as written, before its unit
    bool integer = false;  ///< a plain integer below 2^53
    std::optional<units::Dimension> dimension;  ///< nullopt: a plain number
    std::string unit;  ///< as written after the number, e.g. "GB/s"
    std::string text;
};

constexpr double max_exact_integer = 9007199254740992.0;  // 2^53

std::optional<Bound> read_bound(const Source& src, const YAML::Node& node, const std::string& path) {
    if (!node.IsScalar()) {
        src.error(node, path, "expected a number, or a value with its unit like '100 GB/s', got " + std::string(node_kind(node)));
        return std::nullopt;
    }
    Bound b;
    b.text = std::string(trim(node.Scalar()));
    if (auto n = plain_number(node)) {
        b.si = b.number = *n;
        const bool digits = !b.text.empty() &&
                            std::all_of(b.text.begin() + (b.text.front() == '-' ? 1 : 0), b.text.end(),
                                        [](unsigned char c) { return std::isdigit(c); });
        b.integer = digits && std::fabs(*n) < max_exact_integer;
        return b;
    }
    auto r = units::parse_quantity(b.text);
    if (auto* err = std::get_if<std::string>(&r)) {
        src.error(node, path, *err);
        return std::nullopt;
    }
    const auto& q = std::get<units::ParsedQuantity>(r);
    b.si = q.value_si;
    b.dimension = q.dimension;
    const char* first = b.text.data();
    const char* last = first + b.text.size();
    const auto [ptr, ec] = std::from_chars(first, last, b.number, std::chars_format::general);
    b.unit = ec == std::errc() ? std::string(trim(std::string_view(ptr, static_cast<std::size_t>(last - ptr)))) : "";
    return b;
}

std::string kind_of(const Bound& b) {
    return b.dimension ? a_or_an(units::dimension_name(*b.dimension)) + " ('" + b.text + "')" : "a plain number ('" + b.text + "')";
}

bool same_kind(const Bound& a, const Bound& b) { return a.dimension == b.dimension; }

double round_significant(double v, int digits) {
    if (v == 0.0 || !std::isfinite(v)) return v;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
    return std::strtod(buf, nullptr);
}

// The points of a range mapping {from, to, step | steps | factor, scale} as text, each both the value
// and its label; nullopt (reported) on a bad range.
std::optional<std::vector<std::string>> range_points(const Source& src, const YAML::Node& node, const std::string& path,
                                                     std::size_t max_points) {
    const MapReader probe(src, node, path, range_keys, /*report=*/false);
    if (!probe.has("from") && !probe.has("to")) {
        src.error(node, path,
                  "a mapping on a sweep axis is a range {from, to, step | steps | factor}; to sweep mappings, write a "
                  "list of them: [{...}, {...}]");
        return std::nullopt;
    }
    const MapReader m(src, node, path, range_keys);
    auto from_node = m.require("from", "the first point of the range");
    auto to_node = m.require("to", "the last point of the range");
    if (!m.ok() || !from_node || !to_node) return std::nullopt;
    const auto from = read_bound(src, *from_node, join_path(path, "from"));
    const auto to = read_bound(src, *to_node, join_path(path, "to"));
    if (!from || !to) return std::nullopt;
    if (!same_kind(*from, *to)) {
        src.error(*to_node, join_path(path, "to"),
                  "'from' is " + kind_of(*from) + " but 'to' is " + kind_of(*to) + ": a range has one unit");
        return std::nullopt;
    }
    if (!(to->si > from->si)) {
        src.error(*to_node, join_path(path, "to"), "'to' (" + to->text + ") must be greater than 'from' (" + from->text + ")");
        return std::nullopt;
    }
    std::vector<std::string> given;
    for (const char* k : {"step", "steps", "factor"}) {
        if (m.has(k)) given.emplace_back(k);
    }
    if (given.size() != 1) {
        src.error(given.empty() ? node : m.get(given[1]), path,
                  given.empty() ? "a range needs one of 'step' (linear, by a fixed step), 'steps' (that many points, both "
                                  "ends included) or 'factor' (geometric)"
                                : "give one of 'step', 'steps' and 'factor', not " + diag::join_names(given));
        return std::nullopt;
    }
    const std::string how = given.front();
    if (m.has("scale") && how != "steps") {
        src.error(m.get("scale"), join_path(path, "scale"),
                  "'scale' applies to 'steps'; a range by 'step' is linear and one by 'factor' geometric");
        return std::nullopt;
    }
    bool log_scale = false;
    if (m.has("scale")) {
        auto c = as_choice(src, m.get("scale"), join_path(path, "scale"), {"linear", "log"});
        if (!c) return std::nullopt;
        log_scale = *c == "log";
    }
    const bool geometric = how == "factor" || log_scale;
    if (geometric && !(from->si > 0.0)) {
        src.error(*from_node, join_path(path, "from"),
                  "a geometric range ('" + std::string(how == "factor" ? "factor" : "scale: log") + "') needs 'from' above 0, got " +
                      from->text);
        return std::nullopt;
    }
    bool integer = from->integer && to->integer;
    const double span = to->si - from->si;
    std::vector<double> si;  // the points in SI
    const double too_many = static_cast<double>(max_points);
    auto count_error = [&](double n) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", n);
        src.error(node, path,
                  "the range has " + std::string(buf) + " points; a sweep has at most " + std::to_string(max_points) +
                      " rows");
    };
    if (how == "step") {
        const YAML::Node sn = m.get("step");
        const auto step = read_bound(src, sn, join_path(path, "step"));
        if (!step) return std::nullopt;
        if (!(step->si > 0.0)) {
            src.error(sn, join_path(path, "step"), "'step' must be above 0, got " + step->text);
            return std::nullopt;
        }
        if (!same_kind(*from, *step)) {
            src.error(sn, join_path(path, "step"),
                      "'from' is " + kind_of(*from) + " but 'step' is " + kind_of(*step) + ": a range has one unit");
            return std::nullopt;
        }
        integer = integer && step->integer;
        const double n = std::floor(span / step->si + 1e-9) + 1.0;
        if (n > too_many) {
            count_error(n);
            return std::nullopt;
        }
        for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k) si.push_back(from->si + static_cast<double>(k) * step->si);
    } else if (how == "factor") {
        const YAML::Node fn = m.get("factor");
        const auto f = plain_number(fn);
        if (!f || !(*f > 1.0)) {
            src.error(fn, join_path(path, "factor"),
                      "'factor' must be a plain number above 1, got " + (fn.IsScalar() ? "'" + fn.Scalar() + "'" : std::string(node_kind(fn))));
            return std::nullopt;
        }
        const double n = std::floor(std::log(to->si / from->si) / std::log(*f) + 1e-9) + 1.0;
        if (n > too_many) {
            count_error(n);
            return std::nullopt;
        }
        for (std::size_t k = 0; k < static_cast<std::size_t>(n); ++k) si.push_back(from->si * std::pow(*f, static_cast<double>(k)));
    } else {
        const auto steps = as_integer(src, m.get("steps"), join_path(path, "steps"), 2, static_cast<std::int64_t>(max_points));
        if (!steps) return std::nullopt;
        const auto n = static_cast<std::size_t>(*steps);
        for (std::size_t k = 0; k < n; ++k) {
            const double t = static_cast<double>(k) / static_cast<double>(n - 1);
            if (k == 0) {
                si.push_back(from->si);
            } else if (k + 1 == n) {
                si.push_back(to->si);
            } else {
                si.push_back(log_scale ? std::exp(std::log(from->si) + t * (std::log(to->si) - std::log(from->si)))
                                       : from->si + t * span);
            }
        }
    }
    std::vector<std::string> out;
    out.reserve(si.size());
    if (integer) {
        // Integer ranges give integers: each point is rounded to the nearest one.
        std::int64_t previous = 0;
        for (std::size_t k = 0; k < si.size(); ++k) {
            const auto v = static_cast<std::int64_t>(std::llround(si[k]));
            if (k > 0 && v == previous) {
                src.error(node, path,
                          "points " + std::to_string(k - 1) + " and " + std::to_string(k) + " of the range both round to " +
                              std::to_string(v) +
                              " (a range from integers gives integers): use fewer points, or write 'from' with a decimal "
                              "point (" + from->text + ".0) for real numbers");
                return std::nullopt;
            }
            previous = v;
            out.push_back(std::to_string(v));
        }
        return out;
    }
    // Other ranges: each point in the unit of 'from' (of 'to' when 'from' is 0), rounded to 4 significant
    // digits, or to as many more as keep the points apart; the text is the value and its label.
    const Bound& unit_of = from->number != 0.0 || !to->dimension ? *from : *to;
    const double per_unit = unit_of.dimension && unit_of.number != 0.0 ? unit_of.si / unit_of.number : 1.0;
    const std::string suffix = unit_of.dimension ? " " + unit_of.unit : "";
    for (int digits = 4; digits <= 17; ++digits) {
        out.clear();
        std::set<double> seen;
        for (const double v : si) {
            const double r = round_significant(v / per_unit, digits);
            seen.insert(r);
            out.push_back(units::round_trip(r) + suffix);
        }
        if (seen.size() == si.size()) break;
    }
    return out;
}

// ---------------------------------------------------------------- axes

struct KeyClass {
    AxisKind kind = AxisKind::field;
    std::string figure;
    std::vector<PathStep> path;
};

std::optional<KeyClass> classify(const Source& src, const YAML::Node& key_node, const std::string& key,
                                 const std::string& section) {
    if (key == "count") return KeyClass{AxisKind::count, {}, {}};
    if (key == "chip") return KeyClass{AxisKind::chip, {}, {}};
    if (key == "system") return KeyClass{AxisKind::system, {}, {}};
    auto steps = parse_key_path(key);
    if (!steps) {
        src.error(key_node, section,
                  "cannot sweep '" + key + "': an axis key is a case key, or a path of keys joined by '.' with [N] for a "
                  "list entry (e.g. 'training.plan.tp', 'topology.network.tiers[1].radix')");
        return std::nullopt;
    }
    const std::string first = std::get<std::string>(steps->front());
    if (first == "name") {
        src.error(key_node, section,
                  "cannot sweep '" + key + "': a sweep point is named after its case and its axis values "
                  "('case|axis=value'); the name is not a field to sweep");
        return std::nullopt;
    }
    const auto& axis_case_keys = case_field_keys();
    if (std::find(axis_case_keys.begin(), axis_case_keys.end(), first) == axis_case_keys.end()) {
        src.error(key_node, section,
                  "cannot sweep '" + key + "'" + diag::did_you_mean(first, axis_case_keys) + ": '" + first +
                      "' is not a case key; a sweep axis sets a case field: count, chip, system, overrides.FIGURE, or a "
                      "key path inside a case (e.g. 'training.global_batch'); case keys: " +
                      diag::join_names(axis_case_keys));
        return std::nullopt;
    }
    const bool plain = first == "count" || first == "chip" || first == "system" || first == "description" || first == "baseline";
    if (plain && steps->size() > 1) {
        src.error(key_node, section, "cannot sweep '" + key + "': '" + first + "' is a single value, with no keys inside");
        return std::nullopt;
    }
    if (first == "overrides") {
        if (steps->size() == 1) {
            src.error(key_node, section, "name the figure to sweep, e.g. 'overrides.hbm_bandwidth'");
            return std::nullopt;
        }
        const auto* name = std::get_if<std::string>(&(*steps)[1]);
        if (name == nullptr || chip_figure(*name) == nullptr) {
            const std::string n = name ? *name : key.substr(std::string("overrides").size());
            src.error(key_node, section,
                      "cannot sweep '" + key + "': unknown figure '" + n + "'" + diag::did_you_mean(n, chip_figure_names()) +
                          "; valid: " + diag::join_names(chip_figure_names()));
            return std::nullopt;
        }
        if (steps->size() > 2) {
            src.error(key_node, section,
                      "cannot sweep '" + key + "': sweep the whole override, 'overrides." + *name +
                          "', with short- or long-form values ({value: ..., note: ...})");
            return std::nullopt;
        }
        return KeyClass{AxisKind::override_figure, *name, {}};
    }
    return KeyClass{AxisKind::field, {}, std::move(*steps)};
}

// Decodes a typed axis' value once; a problem of a value made from a range is located at the range.
bool decode_typed(const Source& src, const SweepAxis& axis, SweepValue& v, const catalog::Catalog& cat) {
    diag::Diagnostics local;
    const Source here{src.file, local};
    bool ok = true;
    switch (axis.kind) {
        case AxisKind::count: {
            auto n = as_integer(here, v.node, v.path, 1);
            if (n) v.typed = *n;
            ok = n.has_value();
            break;
        }
        case AxisKind::chip:
        case AxisKind::system: {
            auto name = as_string(here, v.node, v.path);
            const bool chip = axis.kind == AxisKind::chip;
            if (name && (chip ? cat.chips.count(*name) == 0 : cat.systems.count(*name) == 0)) {
                here.error(v.node, v.path, unknown_name(axis.key, *name, chip ? cat.chip_ids() : cat.system_ids()));
                name.reset();
            }
            if (name) v.typed = *name;
            ok = name.has_value();
            break;
        }
        case AxisKind::override_figure: {
            auto raw = decode_override(here, v.node, v.path, *chip_figure(axis.figure));
            if (raw && v.node.IsMap()) v.label = raw->provenance.stated.empty() ? "unknown" : raw->provenance.stated;
            if (raw) v.typed = std::move(*raw);
            ok = raw.has_value();
            break;
        }
        case AxisKind::field: break;
    }
    for (auto d : local.sorted()) {
        if (d.where.line == 0) d.where = src.at(v.where);
        src.diags.error(d.where, d.key_path, d.message);
    }
    return ok;
}

std::optional<SweepAxis> decode_axis(const Source& src, const YAML::Node& key_node, const YAML::Node& list,
                                     const std::string& section, const catalog::Catalog& cat, std::size_t max_points,
                                     bool in_zip) {
    const std::string key = key_node.Scalar();
    auto cls = classify(src, key_node, key, section);
    if (!cls) return std::nullopt;
    SweepAxis axis;
    axis.key = key;
    axis.kind = cls->kind;
    axis.figure = cls->figure;
    axis.path = std::move(cls->path);
    axis.where = key_node;
    axis.section = section;
    const std::string path = join_path(section, key);
    if (list.IsSequence() && list.size() > 0) {
        for (std::size_t i = 0; i < list.size(); ++i) {
            const YAML::Node v = list[i];
            axis.values.push_back(SweepValue{label_of(v), v, v, index_path(path, i), {}});
        }
    } else if (list.IsMap()) {
        auto points = range_points(src, list, path, max_points);
        if (!points) return std::nullopt;
        const YAML::Node direction = list["direction"];
        const catalog::FigureInfo* figure = axis.kind == AxisKind::override_figure ? chip_figure(axis.figure) : nullptr;
        if (direction.IsDefined() && (figure == nullptr || !figure->directional)) {
            src.error(direction, join_path(path, "direction"),
                      "'direction' applies to a range of a chip's link bandwidth (overrides.scale_up_bandwidth, "
                      "overrides.scale_out_bandwidth, overrides.host_link_bandwidth)");
            return std::nullopt;
        }
        if (!direction.IsDefined() && figure != nullptr && figure->directional) {
            src.error(list, path,
                      "say the direction of this range's bandwidths: add 'direction: one-way' or 'direction: both-ways'");
            return std::nullopt;
        }
        for (std::size_t i = 0; i < points->size(); ++i) {
            // New nodes only: a bandwidth between chips takes the long form with the range's direction.
            YAML::Node value(direction.IsDefined() ? YAML::NodeType::Map : YAML::NodeType::Scalar);
            if (direction.IsDefined()) {
                value["value"] = YAML::Node((*points)[i]);
                value["direction"] = direction;
            } else {
                value = (*points)[i];
            }
            axis.values.push_back(SweepValue{(*points)[i], value, list, index_path(path, i), {}});
        }
    } else {
        src.error(list.IsNull() ? key_node : list, path,
                  "expected a non-empty list of values, or a range such as {from: 8, to: 64, step: 8}, got " +
                      std::string(node_kind(list)));
        return std::nullopt;
    }
    bool ok = true;
    if (axis.kind != AxisKind::field) {
        for (auto& v : axis.values) ok = decode_typed(src, axis, v, cat) && ok;
    }
    if (!in_zip) {
        std::set<std::string> labels;
        for (const auto& v : axis.values) {
            if (!labels.insert(v.label).second) {
                src.error(v.where, v.path, "value '" + v.label + "' appears twice on this axis: sweep points need distinct names");
                ok = false;
            }
        }
    }
    if (!ok) return std::nullopt;
    return axis;
}

std::optional<SweepFactor> decode_zip(const Source& src, const YAML::Node& key_node, const YAML::Node& group,
                                      const std::string& key, const std::string& at, const catalog::Catalog& cat,
                                      std::size_t max_points, std::set<std::string>& seen) {
    const std::string section = join_path(at, key);
    if (key != "zip" && !valid_zip_name(key.substr(4))) {
        src.error(key_node, at,
                  "a zip group is named 'zip' or 'zip.NAME' (NAME of letters, digits, '_' and '-'), got '" + key + "'");
        return std::nullopt;
    }
    if (!group.IsMap() || group.size() < 2) {
        src.error(group.IsNull() ? key_node : group, section,
                  "a zip group is a mapping of two or more axes that advance together, e.g. "
                  "{count: [8, 64], training.global_batch: [256, 2048]}, got " + std::string(node_kind(group)) +
                      (group.IsMap() ? " of one axis" : ""));
        return std::nullopt;
    }
    SweepFactor f;
    bool ok = true;
    for (const auto& kv : group) {
        auto k = as_string(src, kv.first, section);
        if (!k) {
            ok = false;
            continue;
        }
        if (is_zip_key(*k)) {
            src.error(kv.first, section, "zip groups do not nest: write '" + *k + "' beside '" + key + "' in 'sweep'");
            ok = false;
            continue;
        }
        if (!seen.insert(*k).second) {
            src.error(kv.first, join_path(section, *k), "duplicate sweep axis '" + *k + "'");
            ok = false;
            continue;
        }
        auto axis = decode_axis(src, kv.first, kv.second, section, cat, max_points, /*in_zip=*/true);
        if (axis) {
            f.axes.push_back(std::move(*axis));
        } else {
            ok = false;
        }
    }
    if (!ok || f.axes.empty()) return std::nullopt;
    for (const auto& a : f.axes) {
        if (a.values.size() != f.axes.front().values.size()) {
            src.error(a.where, section,
                      "the axes of a zip group advance together and need equal lengths: '" + f.axes.front().key + "' has " +
                          std::to_string(f.axes.front().values.size()) + " values, '" + a.key + "' has " +
                          std::to_string(a.values.size()));
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    std::set<std::string> labels;
    for (std::size_t i = 0; i < f.size(); ++i) {
        std::string label;
        for (const auto& a : f.axes) label += (label.empty() ? "" : "|") + a.key + "=" + a.values[i].label;
        if (!labels.insert(label).second) {
            src.error(f.axes.front().values[i].where, f.axes.front().values[i].path,
                      "point '" + label + "' appears twice in this zip group: sweep points need distinct names");
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return f;
}

bool is_prefix(const std::vector<PathStep>& a, const std::vector<PathStep>& b) {
    return a.size() < b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace

// ---------------------------------------------------------------- key paths

std::optional<std::vector<PathStep>> parse_key_path(std::string_view text) {
    std::vector<PathStep> out;
    std::size_t i = 0;
    while (true) {
        const std::size_t end = text.find_first_of(".[]", i);
        const std::string_view key = text.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
        if (key.empty()) return std::nullopt;
        out.emplace_back(std::string(key));
        i = end;
        while (i != std::string_view::npos && i < text.size() && text[i] == '[') {
            const std::size_t close = text.find(']', i);
            if (close == std::string_view::npos || close == i + 1) return std::nullopt;
            std::size_t index = 0;
            const auto [ptr, ec] = std::from_chars(text.data() + i + 1, text.data() + close, index);
            if (ec != std::errc() || ptr != text.data() + close) return std::nullopt;
            out.emplace_back(index);
            i = close + 1;
        }
        if (i == std::string_view::npos || i == text.size()) return out;
        if (text[i] != '.') return std::nullopt;
        ++i;
    }
}

std::string key_path_text(const std::vector<PathStep>& steps, std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count && i < steps.size(); ++i) {
        if (const auto* k = std::get_if<std::string>(&steps[i])) {
            out = join_path(out, *k);
        } else {
            out = index_path(out, std::get<std::size_t>(steps[i]));
        }
    }
    return out;
}

namespace {

// yaml-cpp nodes are references: assigning into a node of `node` would write through to the file's
// document. So each level along the path is a new mapping or list whose other entries are the
// original nodes themselves (shared, with their marks).
std::variant<YAML::Node, std::string> with_value(const YAML::Node& node, const std::vector<PathStep>& path, std::size_t i,
                                                 const YAML::Node& value) {
    if (i == path.size()) return value;
    if (const auto* key = std::get_if<std::string>(&path[i])) {
        if (node.IsDefined() && !node.IsNull() && !node.IsMap()) {
            return "'" + key_path_text(path, i) + "' is " + std::string(node_kind(node)) + ", not a mapping of keys";
        }
        YAML::Node out(YAML::NodeType::Map);
        bool done = false;
        if (node.IsMap()) {
            for (const auto& kv : node) {
                if (!done && kv.first.IsScalar() && kv.first.Scalar() == *key) {
                    auto inner = with_value(kv.second, path, i + 1, value);
                    if (auto* err = std::get_if<std::string>(&inner)) return *err;
                    out[kv.first] = std::get<YAML::Node>(inner);
                    done = true;
                } else {
                    out[kv.first] = kv.second;
                }
            }
        }
        if (!done) {
            auto inner = with_value(YAML::Node(), path, i + 1, value);
            if (auto* err = std::get_if<std::string>(&inner)) return *err;
            out[*key] = std::get<YAML::Node>(inner);
        }
        return out;
    }
    const std::size_t index = std::get<std::size_t>(path[i]);
    if (!node.IsSequence()) {
        return "'" + key_path_text(path, i) + "' is " + std::string(node.IsDefined() ? node_kind(node) : "not there") +
               ", not a list";
    }
    if (index >= node.size()) {
        return "'" + key_path_text(path, i) + "' has " + std::to_string(node.size()) + (node.size() == 1 ? " entry" : " entries") +
               " (the first is [0])";
    }
    YAML::Node out(YAML::NodeType::Sequence);
    for (std::size_t j = 0; j < node.size(); ++j) {
        if (j != index) {
            out.push_back(node[j]);
            continue;
        }
        auto inner = with_value(node[j], path, i + 1, value);
        if (auto* err = std::get_if<std::string>(&inner)) return *err;
        out.push_back(std::get<YAML::Node>(inner));
    }
    return out;
}

}  // namespace

std::variant<YAML::Node, std::string> with_value_at(const YAML::Node& root, const std::vector<PathStep>& path,
                                                    const YAML::Node& value) {
    return with_value(root, path, 0, value);
}

// ---------------------------------------------------------------- the section

bool SweepFactor::has(AxisKind kind) const {
    return std::any_of(axes.begin(), axes.end(), [kind](const SweepAxis& a) { return a.kind == kind; });
}

bool Sweep::swept(std::string_view key) const {
    for (const auto& f : factors) {
        for (const auto& a : f.axes) {
            if (a.key == key) return true;
        }
    }
    return false;
}

std::size_t Sweep::points(std::size_t cap) const {
    std::size_t n = 1;
    for (const auto& f : factors) n = f.size() > cap / n ? cap + 1 : n * f.size();
    return n;
}

Sweep decode_sweep(const Source& src, const YAML::Node& node, const std::string& at, const catalog::Catalog& cat,
                   std::size_t max_points, bool& ok) {
    Sweep sw;
    if (!node.IsMap()) {
        src.error(node, at,
                  "expected a mapping of axis key to a list of values or a range, got " + std::string(node_kind(node)));
        ok = false;
        return sw;
    }
    std::set<std::string> seen;
    for (const auto& kv : node) {
        auto key = as_string(src, kv.first, at);
        if (!key) {
            ok = false;
            continue;
        }
        if (is_zip_key(*key)) {
            if (!seen.insert(*key).second) {
                src.error(kv.first, join_path(at, *key), "duplicate zip group '" + *key + "'");
                ok = false;
                continue;
            }
            auto f = decode_zip(src, kv.first, kv.second, *key, at, cat, max_points, seen);
            if (f) {
                sw.factors.push_back(std::move(*f));
            } else {
                ok = false;
            }
            continue;
        }
        if (!seen.insert(*key).second) {
            src.error(kv.first, join_path(at, *key), "duplicate sweep axis '" + *key + "'");
            ok = false;
            continue;
        }
        auto axis = decode_axis(src, kv.first, kv.second, at, cat, max_points, /*in_zip=*/false);
        if (axis) {
            sw.factors.push_back(SweepFactor{{std::move(*axis)}});
        } else {
            ok = false;
        }
    }
    // An axis inside another's value would set the same field twice at one point.
    std::vector<const SweepAxis*> fields;
    for (const auto& f : sw.factors) {
        for (const auto& a : f.axes) {
            if (a.kind == AxisKind::field) fields.push_back(&a);
        }
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const SweepAxis* inner = is_prefix(fields[j]->path, fields[i]->path) ? fields[i]
                                     : is_prefix(fields[i]->path, fields[j]->path) ? fields[j]
                                                                                   : nullptr;
            if (inner == nullptr) continue;
            const SweepAxis* outer = inner == fields[i] ? fields[j] : fields[i];
            src.error(fields[i]->where, fields[i]->section,
                      "sweep axes '" + outer->key + "' and '" + inner->key + "' overlap: '" + inner->key +
                          "' sets a key inside the value of '" + outer->key + "'; sweep one of them");
            ok = false;
        }
    }
    return sw;
}

// ---------------------------------------------------------------- names

std::string unknown_name(std::string_view what, const std::string& name, const std::vector<std::string>& valid) {
    std::string msg = "unknown " + std::string(what) + " '" + name + "'" + diag::did_you_mean(name, valid) +
                      "; valid: " + diag::join_names(valid) + " (see 'clustersim list " + std::string(what) + "s')";
    if (name.find('\n') != std::string::npos || name.find(": ") != std::string::npos) {
        msg += "; the value runs over several lines: is a closing quote missing?";
    }
    return msg;
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

}  // namespace clustersim::scenario
