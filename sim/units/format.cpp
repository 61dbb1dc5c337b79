#include "units/format.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

namespace clustersim::units {
namespace {

std::string_view base_symbol(Dimension d) {
    switch (d) {
        case Dimension::time: return "s";
        case Dimension::data: return "B";
        case Dimension::data_rate: return "B/s";
        case Dimension::compute: return "FLOP";
        case Dimension::compute_rate: return "FLOP/s";
        case Dimension::power: return "W";
        case Dimension::energy: return "J";
        case Dimension::frequency: return "Hz";
        case Dimension::money: return "USD";
        case Dimension::token_rate: return "tokens/s";
        case Dimension::area: return "m2";
        case Dimension::defect_density: return "/m2";
        case Dimension::energy_price: return "USD/J";
    }
    return "";
}

std::string four_digits(double v) {
    std::array<char, 64> buf{};
    std::snprintf(buf.data(), buf.size(), "%.4g", v);
    return buf.data();
}

}  // namespace

std::string format_si(double value_si, Dimension d) {
    if (d == Dimension::money) {
        // Dollars read best in words: "25000 USD", "3.1 million USD", "1.2 billion USD".
        const double a = std::fabs(value_si);
        if (a >= 1e9) return four_digits(value_si / 1e9) + " billion USD";
        if (a >= 1e6) return four_digits(value_si / 1e6) + " million USD";
        if (a >= 1e3) {
            std::array<char, 32> buf{};
            std::snprintf(buf.data(), buf.size(), "%.0f USD", value_si);
            return buf.data();
        }
        return four_digits(value_si) + " USD";
    }
    // Silicon reads in its own units: die area in mm2, defects per cm2, electricity in USD/kWh.
    if (d == Dimension::area) return four_digits(value_si * 1e6) + " mm2";
    if (d == Dimension::defect_density) return four_digits(value_si * 1e-4) + " /cm2";
    if (d == Dimension::energy_price) return four_digits(value_si * 3.6e6) + " USD/kWh";
    if (d == Dimension::time) {
        const double a = std::fabs(value_si);
        if (a != 0.0 && a < 1e-6) return four_digits(value_si * 1e9) + " ns";
        if (a != 0.0 && a < 1e-3) return four_digits(value_si * 1e6) + " us";
        if (a != 0.0 && a < 1.0) return four_digits(value_si * 1e3) + " ms";
        return four_digits(value_si) + " s";
    }
    static constexpr std::array<const char*, 8> prefixes{"", "k", "M", "G", "T", "P", "E", "Z"};
    std::size_t i = 0;
    double v = value_si;
    while (i + 1 < prefixes.size() && std::fabs(v) >= 1000.0) {
        v /= 1000.0;
        ++i;
    }
    return four_digits(v) + " " + prefixes[i] + std::string(base_symbol(d));
}

std::string format_binary_bytes(double bytes) {
    static constexpr std::array<const char*, 7> prefixes{"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    std::size_t i = 0;
    double v = bytes;
    while (i + 1 < prefixes.size() && std::fabs(v) >= 1024.0) {
        v /= 1024.0;
        ++i;
    }
    return four_digits(v) + " " + prefixes[i];
}

std::string round_trip(double v) {
    // Integral values (counts, watts) print as integers while exactly representable.
    if (std::fabs(v) < 9007199254740992.0 && v == std::floor(v)) {
        std::array<char, 32> ibuf{};
        std::snprintf(ibuf.data(), ibuf.size(), "%.0f", v);
        return ibuf.data();
    }
    std::array<char, 64> buf{};
    const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
    return ec == std::errc() ? std::string(buf.data(), ptr) : std::string("nan");
}

}  // namespace clustersim::units
