#include "catalog/figure.hpp"

namespace clustersim::catalog {

std::string_view to_string(Confidence c) {
    switch (c) {
        case Confidence::official: return "official";
        case Confidence::estimate: return "estimate";
        case Confidence::derived: return "derived";
        case Confidence::scenario: return "scenario";
    }
    return "?";
}

units::Dimension dimension_of(FigureKind kind) {
    switch (kind) {
        case FigureKind::compute_rate: return units::Dimension::compute_rate;
        case FigureKind::data: return units::Dimension::data;
        case FigureKind::data_rate: return units::Dimension::data_rate;
        case FigureKind::power: return units::Dimension::power;
        case FigureKind::time: return units::Dimension::time;
        case FigureKind::price: return units::Dimension::money;
        case FigureKind::area: return units::Dimension::area;
        case FigureKind::defect_density: return units::Dimension::defect_density;
        case FigureKind::count:
        case FigureKind::fraction:
        case FigureKind::choice: break;
    }
    return units::Dimension::compute;
}

std::optional<Confidence> confidence_from_string(std::string_view s) {
    if (s == "official") return Confidence::official;
    if (s == "estimate") return Confidence::estimate;
    if (s == "derived") return Confidence::derived;
    return std::nullopt;
}

}  // namespace clustersim::catalog
