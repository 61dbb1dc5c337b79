#include "catalog/chip.hpp"

namespace clustersim::catalog {

std::string_view to_string(Precision p) {
    switch (p) {
        case Precision::bf16: return "bf16";
        case Precision::fp8: return "fp8";
        case Precision::fp4: return "fp4";
        case Precision::int8: return "int8";
    }
    return "?";
}

const Figure<units::FlopsPerSecond>& ChipSpec::peak_dense(Precision p) const {
    switch (p) {
        case Precision::bf16: return bf16_dense;
        case Precision::fp8: return fp8_dense;
        case Precision::fp4: return fp4_dense;
        case Precision::int8: return int8_dense;
    }
    return bf16_dense;
}

ChipSpec apply_overrides(ChipSpec chip, const FigureOverrides& overrides) {
    for_each_figure(chip, [&](const FigureInfo& info, auto& figure) {
        const auto it = overrides.find(info.name);
        if (it == overrides.end()) return;
        using Q = typename std::decay_t<decltype(figure.value)>::value_type;
        figure.value = it->second.value_si ? std::optional<Q>(from_si<Q>(*it->second.value_si)) : std::nullopt;
        figure.provenance = it->second.provenance;
    });
    return chip;
}

}  // namespace clustersim::catalog
