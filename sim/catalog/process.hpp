#pragma once
// A foundry process (models/processes/*.yaml): the figures the wafer-cost model needs
// (docs/models/economics.md), as plain values. Unknown figures stay unknown.
//
// Units: wafer price in US dollars per processed 300 mm wafer as the source states it (the year and
// whether it is a list, street or analyst price are in the note); defect density in defects per m^2
// (files write "/cm2").
#include <array>
#include <map>
#include <string>

#include "catalog/figure.hpp"
#include "units/quantity.hpp"

namespace clustersim::catalog {

struct ProcessSpec {
    std::string id;
    std::string name;
    std::string vendor;  ///< the foundry
    int year = 0;        ///< year of volume production
    std::string status;  ///< shipping | announced | roadmap
    std::map<std::string, std::string, std::less<>> sources;
    std::string notes;

    Figure<units::Usd> wafer_price;  ///< one processed 300 mm wafer
    Figure<double> defect_density;   ///< random defects per m^2 (D0), for the Poisson and Murphy yield models
};

inline constexpr std::array<FigureInfo, 2> process_figures{{
    {"wafer_price", FigureKind::price, false, "price of one processed 300 mm wafer"},
    {"defect_density", FigureKind::defect_density, false, "random defect density D0"},
}};

template <class Process, class F>
void for_each_figure_of_process(Process& p, F&& f) {
    f(process_figures[0], p.wafer_price);
    f(process_figures[1], p.defect_density);
}

}  // namespace clustersim::catalog
