#pragma once
// The one parser for quantities written with units ("900 GB/s", "148 TFLOPS", "1.2 us").
//
// Conventions (docs/units.md):
//  - decimal SI prefixes k M G T P E Z (10^3 ...) and binary IEC prefixes Ki Mi Gi Ti Pi Ei (2^10 ...);
//  - 'B' is a byte and 'b' a bit: "400 Gb/s" = 50e9 B/s; bit sizes and rates are stored in bytes;
//  - FLOPS and FLOP/s are the same unit; TOPS (integer operations) share the compute-rate dimension;
//  - money is written in US dollars with the unit "USD" ("25000 USD"), no prefix, no currency sign;
//    electricity prices in "USD/kWh" or "USD/MWh" (stored per joule);
//  - silicon area in "mm2" or "cm2" ('^2' and the superscript two also read), defect densities in
//    "/cm2" or "/mm2"; years ("4 years", "yr") are Julian years of 365.25 days;
//  - a number needs a unit; only a bare "0" is accepted without one.
// The parser never throws: it returns the value or a message that says how to fix the input.
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "units/dimension.hpp"
#include "units/quantity.hpp"

namespace clustersim::units {

struct ParsedQuantity {
    double value_si = 0.0;  ///< in SI base units of `dimension`
    Dimension dimension = Dimension::time;
    bool bare_zero = false;  ///< "0" without a unit: zero of whatever dimension is expected
};

/// Parses "<number> <unit>". On failure returns a message (without file/line context).
std::variant<ParsedQuantity, std::string> parse_quantity(std::string_view text);

/// Parses and checks the dimension; the message names the expected dimension and valid units.
std::variant<double, std::string> parse_si(std::string_view text, Dimension expected);

template <class Q>
constexpr Dimension dimension_of();
template <> constexpr Dimension dimension_of<Seconds>() { return Dimension::time; }
template <> constexpr Dimension dimension_of<Bytes>() { return Dimension::data; }
template <> constexpr Dimension dimension_of<BytesPerSecond>() { return Dimension::data_rate; }
template <> constexpr Dimension dimension_of<Flops>() { return Dimension::compute; }
template <> constexpr Dimension dimension_of<FlopsPerSecond>() { return Dimension::compute_rate; }
template <> constexpr Dimension dimension_of<Watts>() { return Dimension::power; }
template <> constexpr Dimension dimension_of<Joules>() { return Dimension::energy; }
template <> constexpr Dimension dimension_of<Usd>() { return Dimension::money; }
template <> constexpr Dimension dimension_of<Area>() { return Dimension::area; }

/// Typed parse: parse_as<BytesPerSecond>("900 GB/s").
template <class Q>
std::variant<Q, std::string> parse_as(std::string_view text) {
    auto r = parse_si(text, dimension_of<Q>());
    if (auto* v = std::get_if<double>(&r)) return Q(*v);
    return std::get<std::string>(std::move(r));
}

/// Every unit symbol the parser accepts for a dimension (for documentation and tests).
std::vector<std::string> unit_symbols(Dimension d);

}  // namespace clustersim::units
