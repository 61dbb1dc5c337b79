#pragma once
// A catalog figure: a value that may be unknown, and where it came from.
// Unknown figures have no value and print as "unknown", never as zero.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "units/dimension.hpp"

namespace clustersim::catalog {

enum class Confidence {
    official,  ///< vendor datasheet, keynote or paper (or a faithful transcription of one)
    estimate,  ///< analyst or secondary estimate; the note gives the reasoning
    derived,   ///< computed from other figures; the note gives the arithmetic
    scenario,  ///< set by a scenario override, not by the catalog
};

std::string_view to_string(Confidence c);
std::optional<Confidence> confidence_from_string(std::string_view s);

struct Provenance {
    Confidence confidence = Confidence::official;
    std::string source_id;  ///< key into the owning file's `sources`, or the scenario file
    std::string citation;   ///< full citation text of source_id
    std::string note;       ///< reasoning, arithmetic, caveats
    std::string stated;     ///< the value as written in the file, e.g. "900 GB/s both-ways"
};

template <class T>
struct Figure {
    std::optional<T> value;  ///< empty = not publicly known
    Provenance provenance;   ///< meaningful when value is set; note may explain an unknown

    [[nodiscard]] bool known() const { return value.has_value(); }
};

/// A figure's value as decoded from a file, before it is given its type:
/// the SI value (or an integer count) with its provenance. Used for overrides.
struct RawFigure {
    std::optional<double> value_si;
    Provenance provenance;
};

/// Figure overrides by figure name (system presets and scenario cases pin figures this way).
using FigureOverrides = std::map<std::string, RawFigure, std::less<>>;

/// What kind of number a figure holds, for decoding and display.
enum class FigureKind {
    compute_rate,
    data,
    data_rate,
    power,
    time,
    count,     ///< a positive integer, no unit
    fraction,  ///< a plain number in (0, 1], no unit
    price,     ///< money in US dollars ("25000 USD")
    area,      ///< silicon area ("814 mm2")
    defect_density,  ///< defects per area ("0.1 /cm2")
    choice,    ///< one of a fixed set of words (e.g. a transceiver's medium), no unit
};

/// The dimension of a figure's unit (counts, fractions and choices have none and map to Dimension::compute).
units::Dimension dimension_of(FigureKind kind);

struct FigureInfo {
    std::string_view name;
    FigureKind kind;
    bool directional;  ///< bandwidth whose file entry must say one-way or both-ways; stored one-way
    std::string_view description;
    std::string_view section = "figures";  ///< "figures" (published) or "performance" (model parameters)
};

/// Builds a figure's value type from an SI value (rounding counts).
template <class Q>
Q from_si(double value_si) {
    if constexpr (std::is_same_v<Q, std::int64_t>) {
        return static_cast<std::int64_t>(value_si + 0.5);
    } else if constexpr (std::is_same_v<Q, double>) {
        return value_si;
    } else {
        return Q(value_si);
    }
}

/// The SI value of a figure's value type.
template <class Q>
double to_si(const Q& q) {
    if constexpr (std::is_arithmetic_v<Q>) {
        return static_cast<double>(q);
    } else {
        return q.si();
    }
}

}  // namespace clustersim::catalog
