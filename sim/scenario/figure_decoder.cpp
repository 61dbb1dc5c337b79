#include "scenario/figure_decoder.hpp"

#include <algorithm>
#include <vector>

#include "diag/suggest.hpp"

namespace clustersim::scenario {
namespace {

const std::vector<std::string> figure_keys{"value", "confidence", "source", "note", "direction"};

struct Parts {
    YAML::Node value{YAML::NodeType::Undefined};  ///< undefined when the figure is unknown or malformed
    catalog::Provenance provenance;
    std::optional<std::string> direction;
};

std::string stated(const YAML::Node& value) { return value.IsScalar() ? value.Scalar() : std::string(); }

// The keys every catalog figure mapping shares; checks confidence, source and note.
Parts decode_parts(const Source& src, const YAML::Node& node, const std::string& path,
                   const catalog::FigureInfo& info, const SourceMap& sources) {
    Parts parts;
    if (node.IsNull()) return parts;
    MapReader m(src, node, path, figure_keys);
    if (!m.ok()) return parts;
    if (auto note = m.string("note", false)) parts.provenance.note = *note;
    const auto value = m.require("value", "the figure with its unit, or null when it is not public");
    if (!value || value->IsNull()) {
        // Unknown figure: a note may say why; a confidence or source would describe nothing.
        for (const char* key : {"confidence", "source", "direction"}) {
            if (m.has(key)) src.error(m.get(key), join_path(path, key), std::string("a figure whose value is null takes no '") + key + "'");
        }
        return parts;
    }
    parts.value = *value;
    parts.provenance.stated = stated(*value);
    if (auto c = m.require("confidence", "official, estimate or derived")) {
        if (auto word = as_choice(src, *c, join_path(path, "confidence"), {"official", "estimate", "derived"})) {
            parts.provenance.confidence = *catalog::confidence_from_string(*word);
            if (parts.provenance.confidence != catalog::Confidence::official && parts.provenance.note.empty()) {
                src.error(node, path,
                          "a figure marked '" + *word + "' needs a 'note' with its reasoning or arithmetic");
            }
        }
    }
    if (auto s = m.require("source", "a key of this file's 'sources'")) {
        if (auto id = as_string(src, *s, join_path(path, "source"))) {
            const auto it = sources.find(*id);
            if (it == sources.end()) {
                std::vector<std::string> ids;
                for (const auto& [k, v] : sources) ids.push_back(k);
                src.error(*s, join_path(path, "source"),
                          "unknown source '" + *id + "'" + diag::did_you_mean(*id, ids) +
                              "; this file's sources: " + (ids.empty() ? std::string("none") : diag::join_names(ids)));
            } else {
                parts.provenance.source_id = *id;
                parts.provenance.citation = it->second;
            }
        }
    }
    if (m.has("direction")) {
        if (!info.directional) {
            src.error(m.get("direction"), join_path(path, "direction"),
                      "'direction' applies only to a chip's link bandwidths (scale_up_bandwidth, "
                      "scale_out_bandwidth, host_link_bandwidth)");
        } else {
            parts.direction = as_choice(src, m.get("direction"), join_path(path, "direction"), {"one-way", "both-ways"});
        }
    } else if (info.directional) {
        src.error(node, path,
                  "missing key 'direction': say whether the value is one-way (per direction) or both-ways "
                  "(vendors' NVLink and UB headlines add both directions)");
    }
    return parts;
}

std::optional<double> decode_value(const Source& src, const YAML::Node& value, const std::string& path,
                                   const catalog::FigureInfo& info, const std::optional<std::string>& direction) {
    if (info.kind == catalog::FigureKind::count) {
        auto n = as_integer(src, value, path, 1);
        return n ? std::optional<double>(static_cast<double>(*n)) : std::nullopt;
    }
    if (info.kind == catalog::FigureKind::fraction) return as_fraction(src, value, path);
    // A model overhead (per tile, per kernel) may be zero: no measurable fixed cost. Published figures may not.
    const bool zero_ok = info.kind == catalog::FigureKind::time && info.section == "performance";
    auto v = as_quantity(src, value, path, catalog::dimension_of(info.kind), zero_ok);
    if (v && direction == "both-ways") *v /= 2.0;
    return v;
}

}  // namespace

catalog::RawFigure decode_catalog_figure(const Source& src, const YAML::Node& node, const std::string& path,
                                         const catalog::FigureInfo& info, const SourceMap& sources) {
    Parts parts = decode_parts(src, node, path, info, sources);
    catalog::RawFigure raw;
    raw.provenance = parts.provenance;
    if (parts.value.IsDefined()) {
        raw.value_si = decode_value(src, parts.value, join_path(path, "value"), info, parts.direction);
        if (parts.direction) raw.provenance.stated += " " + *parts.direction;
    }
    return raw;
}

catalog::Figure<std::string> decode_choice_figure(const Source& src, const YAML::Node& node, const std::string& path,
                                                  const catalog::FigureInfo& info, const SourceMap& sources,
                                                  const std::vector<std::string>& choices) {
    Parts parts = decode_parts(src, node, path, info, sources);
    catalog::Figure<std::string> f;
    f.provenance = parts.provenance;
    if (!parts.value.IsDefined()) return f;
    const std::string vpath = join_path(path, "value");
    auto word = as_string(src, parts.value, vpath);
    if (!word) return f;
    if (std::find(choices.begin(), choices.end(), *word) == choices.end()) {
        src.error(parts.value, vpath,
                  "'" + *word + "' is not valid" + diag::did_you_mean(*word, choices) + "; valid: " + diag::join_names(choices));
        return f;
    }
    f.value = *word;
    return f;
}

catalog::Figure<std::int64_t> decode_count_figure(const Source& src, const YAML::Node& node,
                                                  const std::string& path, const catalog::FigureInfo& info,
                                                  const SourceMap& sources) {
    Parts parts = decode_parts(src, node, path, info, sources);
    catalog::Figure<std::int64_t> f;
    f.provenance = parts.provenance;
    if (parts.value.IsDefined()) f.value = as_integer(src, parts.value, join_path(path, "value"), 1);
    return f;
}

std::optional<catalog::RawFigure> decode_override(const Source& src, const YAML::Node& node,
                                                  const std::string& path, const catalog::FigureInfo& info) {
    catalog::RawFigure raw;
    raw.provenance.confidence = catalog::Confidence::scenario;
    raw.provenance.source_id = src.file;
    raw.provenance.citation = "scenario override in " + src.file;
    // yaml-cpp's Node assignment writes through to the document: `value` is only ever reset.
    YAML::Node value;
    value.reset(node);
    std::optional<std::string> direction;
    if (node.IsMap()) {
        MapReader m(src, node, path, {"value", "direction", "note"});
        if (auto note = m.string("note", false)) raw.provenance.note = *note;
        auto v = m.require("value", "the figure with its unit, or null");
        if (!v) return std::nullopt;
        value.reset(*v);
        if (m.has("direction")) {
            if (!info.directional) {
                src.error(m.get("direction"), join_path(path, "direction"),
                          "'direction' applies only to a chip's link bandwidths");
                return std::nullopt;
            }
            direction = as_choice(src, m.get("direction"), join_path(path, "direction"), {"one-way", "both-ways"});
            if (!direction) return std::nullopt;
        }
    }
    if (value.IsNull()) return raw;  // explicitly unknown
    if (info.directional && !direction) {
        src.error(node, path,
                  "say the direction of this bandwidth: {value: \"" + stated(value) +
                      "\", direction: one-way} or direction: both-ways");
        return std::nullopt;
    }
    raw.provenance.stated = stated(value) + (direction ? " " + *direction : std::string());
    raw.value_si = decode_value(src, value, node.IsMap() ? join_path(path, "value") : path, info, direction);
    if (!raw.value_si) return std::nullopt;
    return raw;
}

}  // namespace clustersim::scenario
