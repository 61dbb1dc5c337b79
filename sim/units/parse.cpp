#include "units/parse.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <string>

namespace clustersim::units {
namespace {

struct UnitDef {
    double factor;  // SI value of 1 unit
    Dimension dimension;
};

using UnitTable = std::map<std::string, UnitDef, std::less<>>;

// Built once, immutable afterwards.
UnitTable make_table() {
    UnitTable t;
    struct Prefix {
        const char* sym;
        double factor;
    };
    const std::array<Prefix, 8> decimal{{{"", 1.0}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12},
                                         {"P", 1e15}, {"E", 1e18}, {"Z", 1e21}}};
    const std::array<Prefix, 6> binary{{{"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30}, {"Ti", 0x1p40},
                                        {"Pi", 0x1p50}, {"Ei", 0x1p60}}};
    auto add = [&t](const std::string& sym, double f, Dimension d) { t.emplace(sym, UnitDef{f, d}); };

    for (const auto& p : decimal) {
        const std::string s = p.sym;
        add(s + "B", p.factor, Dimension::data);
        add(s + "b", p.factor / 8.0, Dimension::data);
        add(s + "B/s", p.factor, Dimension::data_rate);
        add(s + "b/s", p.factor / 8.0, Dimension::data_rate);
        add(s + "bps", p.factor / 8.0, Dimension::data_rate);
        add(s + "FLOP", p.factor, Dimension::compute);
        add(s + "FLOPS", p.factor, Dimension::compute_rate);
        add(s + "FLOP/s", p.factor, Dimension::compute_rate);
        add(s + "OPS", p.factor, Dimension::compute_rate);
        add(s + "OP/s", p.factor, Dimension::compute_rate);
        add(s + "tokens/s", p.factor, Dimension::token_rate);
        if (p.factor <= 1e9) {
            add(s + "W", p.factor, Dimension::power);
            add(s + "J", p.factor, Dimension::energy);
            add(s + "Wh", p.factor * 3600.0, Dimension::energy);
            add(s + "Hz", p.factor, Dimension::frequency);
        }
    }
    for (const auto& p : binary) {
        const std::string s = p.sym;
        add(s + "B", p.factor, Dimension::data);
        add(s + "B/s", p.factor, Dimension::data_rate);
    }
    add("mW", 1e-3, Dimension::power);
    add("s", 1.0, Dimension::time);
    add("ms", 1e-3, Dimension::time);
    add("us", 1e-6, Dimension::time);
    add("\xC2\xB5s", 1e-6, Dimension::time);  // µs
    add("ns", 1e-9, Dimension::time);
    add("min", 60.0, Dimension::time);
    add("h", 3600.0, Dimension::time);
    add("d", 86400.0, Dimension::time);
    // Years for amortisation periods: the Julian year of 365.25 days (IAU), 31,557,600 s.
    add("year", 31557600.0, Dimension::time);
    add("years", 31557600.0, Dimension::time);
    add("yr", 31557600.0, Dimension::time);
    // Silicon area and defect density (die sizes, wafer yield models); '2', '^2' and the
    // superscript two are the same unit.
    for (const char* sq : {"2", "^2", "\xC2\xB2"}) {
        add(std::string("mm") + sq, 1e-6, Dimension::area);
        add(std::string("cm") + sq, 1e-4, Dimension::area);
        add(std::string("/mm") + sq, 1e6, Dimension::defect_density);
        add(std::string("/cm") + sq, 1e4, Dimension::defect_density);
    }
    // Money: US dollars only, without a prefix ("kUSD" reads as a typo, not as a unit).
    add("USD", 1.0, Dimension::money);
    // Electricity prices, stored in USD per joule: 1 kWh = 3.6e6 J.
    add("USD/kWh", 1.0 / 3.6e6, Dimension::energy_price);
    add("USD/MWh", 1.0 / 3.6e9, Dimension::energy_price);
    return t;
}

const UnitTable& table() {
    static const UnitTable t = make_table();
    return t;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string case_hint(std::string_view unit) {
    std::vector<std::string> same;
    const std::string l = lower(unit);
    for (const auto& [sym, def] : table()) {
        if (lower(sym) == l) same.push_back("'" + sym + "' (" + std::string(dimension_name(def.dimension)) + ")");
    }
    if (same.empty()) return {};
    std::string out = "; units are case-sensitive ('B' is a byte, 'b' a bit, 'M' mega, 'm' milli): did you mean ";
    for (std::size_t i = 0; i < same.size(); ++i) {
        if (i) out += " or ";
        out += same[i];
    }
    return out + "?";
}

}  // namespace

std::string_view dimension_name(Dimension d) {
    switch (d) {
        case Dimension::time: return "time";
        case Dimension::data: return "data size";
        case Dimension::data_rate: return "data rate";
        case Dimension::compute: return "operation count";
        case Dimension::compute_rate: return "compute rate";
        case Dimension::power: return "power";
        case Dimension::energy: return "energy";
        case Dimension::frequency: return "frequency";
        case Dimension::money: return "amount of money";
        case Dimension::token_rate: return "token rate";
        case Dimension::area: return "area";
        case Dimension::defect_density: return "defect density";
        case Dimension::energy_price: return "price of energy";
    }
    return "?";
}

std::string_view dimension_examples(Dimension d) {
    switch (d) {
        case Dimension::time: return "'1.2 us', '3 ms', '10 min'";
        case Dimension::data: return "'96 GB', '144 GiB', '512 B'";
        case Dimension::data_rate: return "'900 GB/s' (bytes) or '400 Gb/s' (bits)";
        case Dimension::compute: return "'2 PFLOP', '6e21 FLOP'";
        case Dimension::compute_rate: return "'148 TFLOPS', '1 PFLOP/s', '296 TOPS'";
        case Dimension::power: return "'700 W', '559 kW', '150 MW'";
        case Dimension::energy: return "'1 kWh', '3.6 MJ'";
        case Dimension::frequency: return "'1.8 GHz'";
        case Dimension::money: return "'25000 USD', '3.1e6 USD'";
        case Dimension::token_rate: return "'4160 tokens/s', '1.3 Mtokens/s'";
        case Dimension::area: return "'814 mm2', '6.66 cm2'";
        case Dimension::defect_density: return "'0.1 /cm2' (defects per square centimetre)";
        case Dimension::energy_price: return "'0.08 USD/kWh', '80 USD/MWh'";
    }
    return "";
}

std::variant<ParsedQuantity, std::string> parse_quantity(std::string_view text) {
    const std::string_view s = trim(text);
    if (s.empty()) return std::string("empty value: expected a number with a unit");
    double value = 0.0;
    const char* first = s.data();
    const char* last = s.data() + s.size();
    // from_chars does not accept a leading '+'; a '-' is parsed so the caller can say "must be positive".
    const auto [ptr, ec] = std::from_chars(first, last, value, std::chars_format::general);
    if (ec == std::errc::result_out_of_range) return "number out of range in '" + std::string(s) + "'";
    if (ec != std::errc() || ptr == first) {
        if (s.front() == '$') {
            return "'" + std::string(s) + "': write money as a number and 'USD', e.g. '25000 USD' (no currency sign)";
        }
        return "'" + std::string(s) + "' does not start with a number (expected e.g. '900 GB/s')";
    }
    if (ptr != last && *ptr == ',') {
        // "1,000 GB/s" (thousands) or "1,5 W" (a decimal comma): say which fix applies.
        const bool thousands = last - ptr >= 4 && std::isdigit(static_cast<unsigned char>(ptr[1])) &&
                               std::isdigit(static_cast<unsigned char>(ptr[2])) &&
                               std::isdigit(static_cast<unsigned char>(ptr[3])) &&
                               (last - ptr == 4 || !std::isdigit(static_cast<unsigned char>(ptr[4])));
        return "'" + std::string(s) + "': " +
               (thousands ? "write numbers without thousands separators (1000, not 1,000)"
                          : "use '.' as the decimal point (1.5, not 1,5)");
    }
    if (!std::isfinite(value)) return "'" + std::string(s) + "' is not a finite number";
    const std::string_view unit = trim(std::string_view(ptr, static_cast<std::size_t>(last - ptr)));
    if (unit.empty()) {
        if (value == 0.0) return ParsedQuantity{0.0, Dimension::time, true};
        return "missing unit in '" + std::string(s) + "': every dimensioned value carries its unit";
    }
    const auto it = table().find(unit);
    if (it == table().end() && (unit.find("USD") != std::string_view::npos || unit.find('$') != std::string_view::npos)) {
        return "unknown unit '" + std::string(unit) + "' in '" + std::string(s) +
               "': write money as a number and 'USD', without a prefix or a currency sign, e.g. '25000 USD' or '3.1e6 USD'";
    }
    if (it == table().end()) return "unknown unit '" + std::string(unit) + "' in '" + std::string(s) + "'" + case_hint(unit);
    const double si = value * it->second.factor;
    if (!std::isfinite(si)) return "number out of range in '" + std::string(s) + "'";
    return ParsedQuantity{si, it->second.dimension};
}

namespace {
std::string a_or_an(std::string_view noun) {
    const bool vowel = !noun.empty() && std::string_view("aeiou").find(noun.front()) != std::string_view::npos;
    return (vowel ? "an " : "a ") + std::string(noun);
}
}  // namespace

std::variant<double, std::string> parse_si(std::string_view text, Dimension expected) {
    auto r = parse_quantity(text);
    if (auto* err = std::get_if<std::string>(&r)) {
        if (err->starts_with("missing unit") || err->starts_with("unknown unit")) {
            *err += "; " + a_or_an(dimension_name(expected)) + " is written like " +
                    std::string(dimension_examples(expected));
        }
        return std::move(*err);
    }
    const auto& q = std::get<ParsedQuantity>(r);
    if (q.bare_zero) return 0.0;
    if (q.dimension != expected) {
        return "'" + std::string(trim(text)) + "' is " + a_or_an(dimension_name(q.dimension)) + ", but " +
               a_or_an(dimension_name(expected)) + " is needed, written like " +
               std::string(dimension_examples(expected));
    }
    return q.value_si;
}

std::vector<std::string> unit_symbols(Dimension d) {
    std::vector<std::string> out;
    for (const auto& [sym, def] : table()) {
        if (def.dimension == d) out.push_back(sym);
    }
    return out;
}

}  // namespace clustersim::units
