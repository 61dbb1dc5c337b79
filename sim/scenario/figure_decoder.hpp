#pragma once
// Decoding of catalog figures ({value, confidence, source, note, direction}) and of
// scenario overrides, shared by the catalog and scenario loaders.
#include <map>
#include <string>
#include <vector>

#include "catalog/figure.hpp"
#include "scenario/yaml_reader.hpp"

namespace clustersim::scenario {

using SourceMap = std::map<std::string, std::string, std::less<>>;

/// A catalog figure with a unit (not a count). `null` or `value: null` is an unknown figure.
/// Directional figures are stored one way: a both-ways value is halved.
catalog::RawFigure decode_catalog_figure(const Source& src, const YAML::Node& node, const std::string& path,
                                         const catalog::FigureInfo& info, const SourceMap& sources);

/// A catalog count figure (integer value, no unit).
catalog::Figure<std::int64_t> decode_count_figure(const Source& src, const YAML::Node& node,
                                                  const std::string& path, const catalog::FigureInfo& info,
                                                  const SourceMap& sources);

/// A catalog figure whose value is one of `choices` (a word, no unit), e.g. a transceiver's medium.
catalog::Figure<std::string> decode_choice_figure(const Source& src, const YAML::Node& node, const std::string& path,
                                                  const catalog::FigureInfo& info, const SourceMap& sources,
                                                  const std::vector<std::string>& choices);

/// A scenario override: "4 TB/s", or {value: ..., direction: ..., note: ...} (direction required
/// for a chip's link bandwidths: scale-up, scale-out, host link). Provenance: confidence 'scenario', source = the scenario file.
std::optional<catalog::RawFigure> decode_override(const Source& src, const YAML::Node& node,
                                                  const std::string& path, const catalog::FigureInfo& info);

/// Converts a decoded figure to its typed form.
template <class Q>
catalog::Figure<Q> typed(const catalog::RawFigure& raw) {
    catalog::Figure<Q> f;
    if (raw.value_si) f.value = catalog::from_si<Q>(*raw.value_si);
    f.provenance = raw.provenance;
    return f;
}

}  // namespace clustersim::scenario
