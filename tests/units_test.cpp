// The one unit parser (docs/units.md): prefixes, bits vs bytes, dimensions, and its error messages.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "units/format.hpp"
#include "units/parse.hpp"

using namespace clustersim::units;

namespace {

double si_of(std::string_view text, Dimension d) {
    auto r = parse_si(text, d);
    if (const auto* e = std::get_if<std::string>(&r)) FAIL(*e);
    return std::get<double>(r);
}

std::string error_of(std::string_view text, Dimension d) {
    auto r = parse_si(text, d);
    REQUIRE(std::holds_alternative<std::string>(r));
    return std::get<std::string>(r);
}

}  // namespace

TEST_CASE("units: decimal and binary prefixes") {
    CHECK(si_of("96 GB", Dimension::data) == 96e9);
    CHECK(si_of("144 GiB", Dimension::data) == 144.0 * 1073741824.0);
    CHECK(si_of("1 TiB", Dimension::data) == 1099511627776.0);
    CHECK(si_of("2 kB", Dimension::data) == 2000.0);
    CHECK(si_of("1 KiB", Dimension::data) == 1024.0);
}

TEST_CASE("units: bits are bytes / 8") {
    CHECK(si_of("400 Gb/s", Dimension::data_rate) == 50e9);
    CHECK(si_of("400 Gbps", Dimension::data_rate) == 50e9);
    CHECK(si_of("900 GB/s", Dimension::data_rate) == 900e9);
    CHECK(si_of("1.6 Tb/s", Dimension::data_rate) == doctest::Approx(200e9));
    CHECK(si_of("8 Gb", Dimension::data) == 1e9);
}

TEST_CASE("units: compute, time, power") {
    CHECK(si_of("148 TFLOPS", Dimension::compute_rate) == doctest::Approx(148e12));
    CHECK(si_of("1 PFLOP/s", Dimension::compute_rate) == 1e15);
    CHECK(si_of("296 TOPS", Dimension::compute_rate) == doctest::Approx(296e12));
    CHECK(si_of("2 ZFLOPS", Dimension::compute_rate) == 2e21);
    CHECK(si_of("6e21 FLOP", Dimension::compute) == 6e21);
    CHECK(si_of("1.2 us", Dimension::time) == doctest::Approx(1.2e-6));
    CHECK(si_of("1.2 \xC2\xB5s", Dimension::time) == doctest::Approx(1.2e-6));
    CHECK(si_of("3 ms", Dimension::time) == doctest::Approx(3e-3));
    CHECK(si_of("10 min", Dimension::time) == 600.0);
    CHECK(si_of("700 W", Dimension::power) == 700.0);
    CHECK(si_of("559 kW", Dimension::power) == 559e3);
    CHECK(si_of("150 MW", Dimension::power) == 150e6);
    CHECK(si_of("1 kWh", Dimension::energy) == 3.6e6);
    CHECK(si_of("  12.5   GB/s ", Dimension::data_rate) == 12.5e9);
}

TEST_CASE("units: a bare zero needs no unit; any other number does") {
    CHECK(si_of("0", Dimension::data_rate) == 0.0);
    CHECK(error_of("900", Dimension::data_rate).find("missing unit") != std::string::npos);
    CHECK(error_of("900", Dimension::data_rate).find("'900 GB/s' (bytes) or '400 Gb/s' (bits)") != std::string::npos);
}

TEST_CASE("units: wrong dimension names both dimensions and shows valid units") {
    const auto e = error_of("96 GB", Dimension::data_rate);
    CHECK(e == "'96 GB' is a data size, but a data rate is needed, written like '900 GB/s' (bytes) or '400 Gb/s' (bits)");
    CHECK(error_of("700 W", Dimension::compute_rate).find("is a power, but a compute rate") != std::string::npos);
}

TEST_CASE("units: case matters and the message says how to fix it") {
    const auto e = error_of("400 gb/s", Dimension::data_rate);
    CHECK(e.find("unknown unit 'gb/s'") != std::string::npos);
    CHECK(e.find("'GB/s' (data rate)") != std::string::npos);
    CHECK(e.find("'Gb/s' (data rate)") != std::string::npos);
    CHECK(error_of("5 furlongs", Dimension::time).find("unknown unit 'furlongs'") != std::string::npos);
}

TEST_CASE("units: malformed numbers, NaN, infinity and overflow are errors") {
    CHECK(error_of("GB/s", Dimension::data_rate).find("does not start with a number") != std::string::npos);
    CHECK(error_of("", Dimension::data_rate).find("empty value") != std::string::npos);
    CHECK(error_of("nan W", Dimension::power).find("is not a finite number") != std::string::npos);
    CHECK(error_of("inf W", Dimension::power).find("is not a finite number") != std::string::npos);
    CHECK(error_of("1e400 W", Dimension::power).find("out of range") != std::string::npos);
    CHECK(error_of("1e300 ZFLOPS", Dimension::compute_rate).find("out of range") != std::string::npos);
}

TEST_CASE("units: negative values parse; callers decide whether they are allowed") {
    CHECK(si_of("-5 W", Dimension::power) == -5.0);
}

TEST_CASE("units: strong types only combine meaningfully") {
    const Bytes b(1e9);
    const BytesPerSecond r(1e9);
    CHECK((b / r).si() == 1.0);
    CHECK((r * Seconds(2)).si() == 2e9);
    CHECK((Flops(1e15) / FlopsPerSecond(1e15)).si() == 1.0);
    CHECK(Bytes(3) / Bytes(2) == 1.5);
    auto typed = parse_as<Watts>("1.2 kW");
    REQUIRE(std::holds_alternative<Watts>(typed));
    CHECK(std::get<Watts>(typed).si() == doctest::Approx(1200.0));
}

TEST_CASE("units: formatting picks a prefix; round_trip reads back exactly") {
    CHECK(format_si(2.5e15, Dimension::compute_rate) == "2.5 PFLOP/s");
    CHECK(format_si(1.2e-6, Dimension::time) == "1.2 us");
    CHECK(format_binary_bytes(48.0 * 1099511627776.0) == "48 TiB");
    for (double v : {0.1, 1.0 / 3.0, 2.99792458e8, 1e-300, 123456789012345678.0}) {
        CHECK(std::stod(round_trip(v)) == v);
    }
    CHECK(round_trip(2.5e14) == "250000000000000");
    CHECK(round_trip(1e300) == "1e+300");
    CHECK(round_trip(0.5) == "0.5");
}

TEST_CASE("units: every accepted symbol parses to its own dimension") {
    for (auto d : {Dimension::time, Dimension::data, Dimension::data_rate, Dimension::compute, Dimension::compute_rate,
                   Dimension::power, Dimension::energy, Dimension::frequency, Dimension::money, Dimension::token_rate,
                   Dimension::area, Dimension::defect_density, Dimension::energy_price}) {
        for (const auto& sym : unit_symbols(d)) {
            auto r = parse_quantity("1 " + sym);
            REQUIRE(std::holds_alternative<ParsedQuantity>(r));
            CHECK(std::get<ParsedQuantity>(r).dimension == d);
        }
    }
}

TEST_CASE("units: thousands separators and decimal commas get their own hint") {
    CHECK(error_of("1,000 GB/s", Dimension::data_rate) ==
          "'1,000 GB/s': write numbers without thousands separators (1000, not 1,000)");
    CHECK(error_of("1,5 W", Dimension::power) == "'1,5 W': use '.' as the decimal point (1.5, not 1,5)");
    CHECK(error_of("1 kWh", Dimension::power).find("is an energy, but a power is needed") != std::string::npos);
}

TEST_CASE("units: money is US dollars, written '25000 USD', without a prefix or a currency sign") {
    CHECK(si_of("25000 USD", Dimension::money) == 25000.0);
    CHECK(si_of("3.1e6 USD", Dimension::money) == 3.1e6);
    CHECK(si_of("799.5USD", Dimension::money) == 799.5);
    CHECK(unit_symbols(Dimension::money) == std::vector<std::string>{"USD"});
    const auto typed = parse_as<Usd>("1250 USD");
    REQUIRE(std::holds_alternative<Usd>(typed));
    CHECK(std::get<Usd>(typed).si() == 1250.0);
    CHECK(error_of("$25000", Dimension::money) ==
          "'$25000': write money as a number and 'USD', e.g. '25000 USD' (no currency sign)");
    for (const auto* text : {"25 kUSD", "25 k USD", "25000 $", "3 MUSD"}) {
        INFO(text);
        CHECK(error_of(text, Dimension::money).find("write money as a number and 'USD', without a prefix or a currency sign") !=
              std::string::npos);
    }
    CHECK(error_of("25000 usd", Dimension::money).find("did you mean 'USD' (amount of money)?") != std::string::npos);
    CHECK(error_of("25000", Dimension::money) ==
          "missing unit in '25000': every dimensioned value carries its unit; an amount of money is written like '25000 USD', "
          "'3.1e6 USD'");
    CHECK(error_of("25000 USD", Dimension::power) ==
          "'25000 USD' is an amount of money, but a power is needed, written like '700 W', '559 kW', '150 MW'");
    CHECK(error_of("700 W", Dimension::money) ==
          "'700 W' is a power, but an amount of money is needed, written like '25000 USD', '3.1e6 USD'");
}

TEST_CASE("units: money prints as whole dollars, then in millions and billions") {
    CHECK(format_si(25000, Dimension::money) == "25000 USD");
    CHECK(format_si(1234.4, Dimension::money) == "1234 USD");
    CHECK(format_si(4.25, Dimension::money) == "4.25 USD");
    CHECK(format_si(3.1e6, Dimension::money) == "3.1 million USD");
    CHECK(format_si(2.0736e9, Dimension::money) == "2.074 billion USD");
}

TEST_CASE("units: die areas, defect densities, electricity prices and years (the economics model)") {
    // Areas in m^2: 1 mm2 = 1e-6 m^2; '^2' and the superscript two are the same unit.
    CHECK(si_of("814 mm2", Dimension::area) == doctest::Approx(814e-6));
    CHECK(si_of("814 mm^2", Dimension::area) == doctest::Approx(814e-6));
    CHECK(si_of("814 mm\xC2\xB2", Dimension::area) == doctest::Approx(814e-6));
    CHECK(si_of("6.656 cm2", Dimension::area) == doctest::Approx(6.656e-4));
    // Defects per m^2: 0.1 /cm2 = 1000 /m^2.
    CHECK(si_of("0.1 /cm2", Dimension::defect_density) == doctest::Approx(1000.0));
    CHECK(si_of("0.001/mm2", Dimension::defect_density) == doctest::Approx(1000.0));
    // Electricity in USD per joule: 1 kWh = 3.6e6 J.
    CHECK(si_of("0.08 USD/kWh", Dimension::energy_price) == doctest::Approx(0.08 / 3.6e6));
    CHECK(si_of("80 USD/MWh", Dimension::energy_price) == doctest::Approx(0.08 / 3.6e6));
    // Julian years.
    CHECK(si_of("4 years", Dimension::time) == 4 * 31557600.0);
    CHECK(si_of("1 year", Dimension::time) == 31557600.0);
    CHECK(si_of("2.5 yr", Dimension::time) == 2.5 * 31557600.0);
    // Errors name the dimension and its units.
    CHECK(error_of("0.08 USD", Dimension::energy_price) ==
          "'0.08 USD' is an amount of money, but a price of energy is needed, written like '0.08 USD/kWh', '80 USD/MWh'");
    CHECK(error_of("814", Dimension::area) ==
          "missing unit in '814': every dimensioned value carries its unit; an area is written like '814 mm2', '6.66 cm2'");
    CHECK(error_of("814 MM2", Dimension::area).find("did you mean 'mm2' (area)?") != std::string::npos);
    // Formatting reads in the same units.
    CHECK(format_si(814e-6, Dimension::area) == "814 mm2");
    CHECK(format_si(1000.0, Dimension::defect_density) == "0.1 /cm2");
    CHECK(format_si(0.08 / 3.6e6, Dimension::energy_price) == "0.08 USD/kWh");
}
