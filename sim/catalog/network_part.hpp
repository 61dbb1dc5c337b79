#pragma once
// Network parts (models/network/*.yaml): switches and optical transceivers with the figures that
// network power and price are built from, as plain values. Unknown figures stay unknown.
//
// Units: bandwidths in B/s one direction, power in W, prices in US dollars (units::Usd) as the
// source states them (the year and whether it is a list, street or analyst price are in the note).
#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "catalog/figure.hpp"
#include "units/quantity.hpp"

namespace clustersim::catalog {

/// What a network part file describes (its `kind:` key).
enum class PartKind { switch_part, transceiver };
std::string_view to_string(PartKind k);  ///< "switch", "transceiver"

/// One switch model: a box (QM9700), a tray (NVLink switch tray) or a switch chip (NVSwitch).
/// A topology's switch tier is one such part per switch node; `power` and `price` are per part.
struct SwitchSpec {
    std::string id;
    std::string name;
    std::string vendor;
    int year = 0;
    std::string status;  ///< shipping | announced | roadmap
    std::map<std::string, std::string, std::less<>> sources;
    std::string notes;

    Figure<std::int64_t> ports;                    ///< ports at port_bandwidth
    Figure<units::BytesPerSecond> port_bandwidth;  ///< per port, one direction
    Figure<units::Watts> power;                    ///< per switch; the note says typical or maximum, with or without optics
    Figure<units::Usd> price;                      ///< per switch
};

inline constexpr std::array<FigureInfo, 4> switch_figures{{
    {"ports", FigureKind::count, false, "ports at the port bandwidth"},
    {"port_bandwidth", FigureKind::data_rate, false, "bandwidth per port, one direction"},
    {"power", FigureKind::power, false, "power per switch (the note says typical or maximum)"},
    {"price", FigureKind::price, false, "price per switch"},
}};

template <class Switch, class F>
void for_each_figure_of_switch(Switch& s, F&& f) {
    f(switch_figures[0], s.ports);
    f(switch_figures[1], s.port_bandwidth);
    f(switch_figures[2], s.power);
    f(switch_figures[3], s.price);
}

/// The media a transceiver drives (its `medium` figure).
inline constexpr std::array<std::string_view, 2> transceiver_media{"single-mode fiber", "multi-mode fiber"};

/// One pluggable optical module. A topology counts one module per end of an optical link
/// (topo::LinkSpec::transceivers); `power` and `price` are per module.
struct TransceiverSpec {
    std::string id;
    std::string name;
    std::string vendor;
    int year = 0;
    std::string status;
    std::map<std::string, std::string, std::less<>> sources;
    std::string notes;

    Figure<units::BytesPerSecond> bandwidth;  ///< per module, one direction
    Figure<units::Watts> power;               ///< per module; the note says typical or maximum
    Figure<units::Usd> price;                 ///< per module
    Figure<std::string> medium;               ///< one of transceiver_media
};

inline constexpr std::array<FigureInfo, 4> transceiver_figures{{
    {"bandwidth", FigureKind::data_rate, false, "bandwidth per module, one direction"},
    {"power", FigureKind::power, false, "power per module (the note says typical or maximum)"},
    {"price", FigureKind::price, false, "price per module"},
    {"medium", FigureKind::choice, false, "fiber the module drives: single-mode fiber or multi-mode fiber"},
}};

template <class Transceiver, class F>
void for_each_figure_of_transceiver(Transceiver& t, F&& f) {
    f(transceiver_figures[0], t.bandwidth);
    f(transceiver_figures[1], t.power);
    f(transceiver_figures[2], t.price);
    f(transceiver_figures[3], t.medium);
}

}  // namespace clustersim::catalog
