#pragma once
// Helpers to decode YAML into typed values while collecting every problem with its
// file:line:col and key path. Private to the scenario layer: nothing above it sees yaml-cpp.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diag/diagnostic.hpp"
#include "units/dimension.hpp"

namespace clustersim::scenario {

/// The file being decoded and where its problems go.
struct Source {
    std::string file;
    diag::Diagnostics& diags;

    [[nodiscard]] diag::Location at(const YAML::Node& node) const;
    void error(const YAML::Node& node, const std::string& path, std::string message) const;
};

/// Reads and parses a YAML file. Unreadable file: throws diag::IoError.
/// Syntax error or empty document: records a diagnostic and returns nullopt.
std::optional<YAML::Node> load_yaml_file(const std::filesystem::path& path, diag::Diagnostics& diags);
/// The same for text already in memory; `name` stands for the file in diagnostics.
std::optional<YAML::Node> parse_yaml_text(const std::string& content, const std::string& name, diag::Diagnostics& diags);

std::string_view node_kind(const YAML::Node& node);  ///< "a mapping", "a list", "a scalar", "null"
std::string join_path(const std::string& parent, std::string_view key);
std::string index_path(const std::string& parent, std::size_t index);

/// A YAML mapping with a fixed set of allowed keys. Unknown and duplicate keys are
/// reported on construction (with a did-you-mean) unless `report` is false; a non-mapping
/// node is reported once. A required key that is missing is not reported when an unknown
/// key is a likely misspelling of it: the did-you-mean already says so.
class MapReader {
public:
    MapReader(const Source& src, const YAML::Node& node, std::string path, std::vector<std::string> allowed,
              bool report = true);

    [[nodiscard]] bool ok() const { return ok_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] const YAML::Node& node() const { return node_; }
    /// The value under key, or an undefined node when absent. key must be one of the allowed keys.
    [[nodiscard]] YAML::Node get(std::string_view key) const;
    [[nodiscard]] bool has(std::string_view key) const;
    /// True when an unknown key of this mapping is a likely misspelling of `key`.
    [[nodiscard]] bool misspelt(std::string_view key) const;
    /// Records "missing key" when absent; returns the value otherwise.
    std::optional<YAML::Node> require(std::string_view key, std::string_view what) const;

    std::optional<std::string> string(std::string_view key, bool required) const;
    /// An integer from min_value to max_value (both reported when crossed).
    std::optional<std::int64_t> integer(std::string_view key, bool required, std::int64_t min_value,
                                        std::int64_t max_value = std::numeric_limits<std::int64_t>::max()) const;

private:
    const Source& src_;
    YAML::Node node_;
    std::string path_;
    std::vector<std::string> allowed_;
    std::vector<std::string> unknown_;
    bool ok_ = false;
};

/// A scalar that is exactly a finite plain number ("0.8", "70.6e9"; no unit, no trailing text), or
/// nullopt. Records nothing: callers say what they expected.
std::optional<double> plain_number(const YAML::Node& node);

// Scalar decoders: each records a diagnostic and returns nullopt on a problem.
std::optional<std::string> as_string(const Source& src, const YAML::Node& node, const std::string& path);
std::optional<std::int64_t> as_integer(const Source& src, const YAML::Node& node, const std::string& path,
                                       std::int64_t min_value,
                                       std::int64_t max_value = std::numeric_limits<std::int64_t>::max());
/// A quantity with a unit, e.g. "900 GB/s"; must be > 0 unless allow_zero.
std::optional<double> as_quantity(const Source& src, const YAML::Node& node, const std::string& path,
                                  units::Dimension dimension, bool allow_zero);
/// A mapping of free-form keys to strings (e.g. source id -> citation); duplicates reported.
std::map<std::string, std::string, std::less<>> as_string_map(const Source& src, const YAML::Node& node,
                                                              const std::string& path);
/// A plain number in (0, 1], e.g. an efficiency: "0.8".
std::optional<double> as_fraction(const Source& src, const YAML::Node& node, const std::string& path);
/// `true` or `false` (YAML's other spellings, such as yes/no/on/off, are refused as ambiguous).
std::optional<bool> as_boolean(const Source& src, const YAML::Node& node, const std::string& path);
/// An optional `true`/`false` key of `m` into `out` (left as is when absent); false when the value
/// is not a boolean (reported).
bool read_flag(const Source& src, const MapReader& m, std::string_view key, bool& out);
/// An optional key of `m` whose value is one of `choices` into `out` (left as is when absent); false
/// when it is not one of them (reported, with the valid words).
bool read_choice(const Source& src, const MapReader& m, std::string_view key, std::initializer_list<std::string_view> choices,
                 std::string& out);
/// An optional plain-number key of `m` into `out` (left as is when absent), checked by
/// as_number_in; false when the value is not such a number (reported).
bool read_number(const Source& src, const MapReader& m, std::string_view key, double& out, double low, double high,
                 bool high_included, std::string_view what);
/// A plain number from `low` to `high` (`high` itself excluded unless `high_included`); otherwise
/// records "expected <what>, got '<text>'".
std::optional<double> as_number_in(const Source& src, const YAML::Node& node, const std::string& path, double low, double high,
                                   bool high_included, std::string_view what);
/// One of a fixed set of words.
std::optional<std::string> as_choice(const Source& src, const YAML::Node& node, const std::string& path,
                                     const std::vector<std::string>& choices);
std::optional<std::string> as_choice(const Source& src, const YAML::Node& node, const std::string& path,
                                     std::initializer_list<std::string_view> choices);
/// One of an enum's `values`, each written as its to_string name (found by argument-dependent lookup).
template <typename E, std::size_t N>
std::optional<E> as_enum(const Source& src, const YAML::Node& node, const std::string& path, const std::array<E, N>& values) {
    std::vector<std::string> names;
    names.reserve(N);
    for (const E v : values) names.emplace_back(to_string(v));
    const auto word = as_choice(src, node, path, names);
    if (!word) return std::nullopt;
    return values[static_cast<std::size_t>(std::find(names.begin(), names.end(), *word) - names.begin())];
}

}  // namespace clustersim::scenario
