#pragma once
// The `sweep:` section of a scenario (docs/scenario-format.md, "Sweeps"): axes over case fields,
// given as lists or ranges, alone or zipped, decoded once before any case is.
//
// Two kinds of axis:
//  - typed axes (`count`, `chip`, `system`, `overrides.FIGURE`): each value is decoded here, once,
//    and applied to every sweep point directly (cheap: sweeps of a million rows use them);
//  - field axes (any other key path inside a case, such as `training.global_batch` or
//    `topology.network.tiers[1].radix`): each value is a YAML node that the loader sets into a copy
//    of the case (with_value_at) and decodes with the case's own decoders, once per distinct
//    combination of field-axis values, so every check of the field applies to it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "catalog/catalog.hpp"
#include "catalog/figure.hpp"
#include "scenario/yaml_reader.hpp"

namespace clustersim::scenario {

/// One step of a key path inside a case: a mapping key, or the index of a list entry.
using PathStep = std::variant<std::string, std::size_t>;

/// "training.plan.tp" or "topology.network.tiers[1].radix" as steps; nullopt when malformed
/// (an empty key, a bad index).
std::optional<std::vector<PathStep>> parse_key_path(std::string_view text);
/// The steps written back: "topology.network.tiers[1].radix".
std::string key_path_text(const std::vector<PathStep>& steps, std::size_t count);

/// `root` with `value` at `path`, `root` itself left untouched: the mappings and lists along the path
/// are new, everything else is shared with `root` (and keeps its file location). A mapping missing
/// along the path (or null) is created; a path through a value that is not a mapping, or to a list
/// entry that does not exist, is refused with a message naming the step.
std::variant<YAML::Node, std::string> with_value_at(const YAML::Node& root, const std::vector<PathStep>& path,
                                                    const YAML::Node& value);

enum class AxisKind { count, chip, system, override_figure, field };

/// One value of an axis.
struct SweepValue {
    std::string label;  ///< in the point's name: as written, or the range point
    YAML::Node node;    ///< the value set into a case; made from a range: no file location
    YAML::Node where;   ///< the list entry, or the range it came from, for locations
    std::string path;   ///< "sweep.count[2]", "sweep.zip.count[2]"
    /// Decoded once for typed axes; monostate for field axes.
    std::variant<std::monostate, std::int64_t, std::string, catalog::RawFigure> typed;
};

struct SweepAxis {
    std::string key;              ///< as written: "count", "overrides.tdp", "training.plan.tp"
    AxisKind kind = AxisKind::field;
    std::string figure;           ///< the chip figure of an override axis
    std::vector<PathStep> path;   ///< the key path of a field axis
    YAML::Node where;             ///< the axis key, for locations
    std::string section;          ///< "sweep", or the zip group's path: "sweep.zip"
    std::vector<SweepValue> values;
};

/// One factor of the cartesian product: one axis, or a zip group whose axes have the same length
/// and advance together.
struct SweepFactor {
    std::vector<SweepAxis> axes;
    [[nodiscard]] std::size_t size() const { return axes.front().values.size(); }
    [[nodiscard]] bool has(AxisKind kind) const;
};

struct Sweep {
    std::vector<SweepFactor> factors;  ///< in the order written; the last advances fastest
    /// True when some axis has this key ("count", "chip", "system").
    [[nodiscard]] bool swept(std::string_view key) const;
    /// The number of points: the product of the factors' sizes, or more than `cap` when above it.
    [[nodiscard]] std::size_t points(std::size_t cap) const;
};

/// Decodes a `sweep:` mapping at key path `at` ("sweep", or a case's "cases[2].sweep"). Records every
/// problem; `ok` becomes false on any, and the axes with problems are left out. A range has at most
/// `max_points` points.
Sweep decode_sweep(const Source& src, const YAML::Node& node, const std::string& at, const catalog::Catalog& cat,
                   std::size_t max_points, bool& ok);

/// The keys of a case a sweep axis may set (every case key but `name` and `sweep`).
const std::vector<std::string>& case_field_keys();

/// "unknown chip 'x' (did you mean 'y'?); valid: ..." with a hint when a quote was left open.
std::string unknown_name(std::string_view what, const std::string& name, const std::vector<std::string>& valid);

/// The chip figure names, in catalog order, and one figure by name (nullptr when unknown).
std::vector<std::string> chip_figure_names();
const catalog::FigureInfo* chip_figure(std::string_view name);

}  // namespace clustersim::scenario
