#pragma once
// A fleet's failure and recovery figures (models/reliability/*.yaml): how often each kind of part
// fails and how long a training job takes to restart, as measured or estimated by the sources.
// A value type; the reliability model (sim/reliability) is built from its values.
#include <array>
#include <map>
#include <string>

#include "catalog/figure.hpp"
#include "units/quantity.hpp"

namespace clustersim::catalog {

/// Mean time between failures per part (a figure of unit time: "150000 h"); unknown figures count
/// as no failures of that kind, which the reliability model reports.
struct ReliabilitySpec {
    std::string id;
    std::string name;
    int year = 0;
    std::map<std::string, std::string, std::less<>> sources;
    std::string notes;

    Figure<units::Seconds> accelerator_mtbf;  ///< the accelerator with its HBM
    Figure<units::Seconds> host_mtbf;         ///< a server: CPUs, memory, storage, power, chassis
    Figure<units::Seconds> nic_mtbf;          ///< a scale-out network interface
    Figure<units::Seconds> switch_mtbf;       ///< a switch of any tier
    Figure<units::Seconds> transceiver_mtbf;  ///< an optical module
    Figure<units::Seconds> link_mtbf;         ///< a cable
    Figure<units::Seconds> rack_mtbf;         ///< a rack (cabinet): events that take all of it down (power, cooling)
    Figure<units::Seconds> software_mtbf;     ///< per accelerator: interruptions without a failed part
    Figure<units::Seconds> restart_time;      ///< per interruption: detect, replace or reschedule, reload, resume
    Figure<units::Seconds> planned_interval;  ///< per job: mean time between planned interruptions (maintenance)
};

inline constexpr std::array<FigureInfo, 10> reliability_figures{{
    {"accelerator_mtbf", FigureKind::time, false, "mean time between failures of one accelerator (with its HBM)"},
    {"host_mtbf", FigureKind::time, false, "mean time between failures of one server (CPUs, memory, storage, power)"},
    {"nic_mtbf", FigureKind::time, false, "mean time between failures of one scale-out NIC"},
    {"switch_mtbf", FigureKind::time, false, "mean time between failures of one switch"},
    {"transceiver_mtbf", FigureKind::time, false, "mean time between failures of one optical transceiver"},
    {"link_mtbf", FigureKind::time, false, "mean time between failures of one cable"},
    {"software_mtbf", FigureKind::time, false, "mean time between interruptions without a failed part, per accelerator"},
    {"restart_time", FigureKind::time, false, "time a job loses per interruption beyond the lost work"},
    {"planned_interval", FigureKind::time, false, "mean time between planned interruptions of a job (maintenance)"},
    {"rack_mtbf", FigureKind::time, false, "mean time between events that take a whole rack down (power distribution, cooling), per rack"},
}};

template <class Spec, class F>
void for_each_figure_of_reliability(Spec& s, F&& f) {
    f(reliability_figures[0], s.accelerator_mtbf);
    f(reliability_figures[1], s.host_mtbf);
    f(reliability_figures[2], s.nic_mtbf);
    f(reliability_figures[3], s.switch_mtbf);
    f(reliability_figures[4], s.transceiver_mtbf);
    f(reliability_figures[5], s.link_mtbf);
    f(reliability_figures[6], s.software_mtbf);
    f(reliability_figures[7], s.restart_time);
    f(reliability_figures[8], s.planned_interval);
    f(reliability_figures[9], s.rack_mtbf);
}

}  // namespace clustersim::catalog
