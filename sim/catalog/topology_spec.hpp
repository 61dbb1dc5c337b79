#pragma once
// A cluster's network as a system file or scenario gives it: a registered topology builder,
// its parameters, and where the wiring comes from (sources and assumptions as free text).
#include <map>
#include <memory>
#include <string>

#include "catalog/network_part.hpp"
#include "topo/params.hpp"

namespace clustersim::catalog {

/// The catalog parts a topology is built from (a system file's `topology.parts`): the switch model
/// of each switch tier, and the transceiver model of every optical module. Tiers not named here, or
/// a missing transceiver, leave the network's power and price unknown (never zero).
struct TopologyParts {
    /// Switch tier name (topo::SwitchCount::name, e.g. "ib_leaf") -> the switch it is built from.
    std::map<std::string, std::shared_ptr<const SwitchSpec>, std::less<>> switches;
    std::shared_ptr<const TransceiverSpec> transceiver;  ///< every optical module of the topology; null: not named

    [[nodiscard]] bool empty() const { return switches.empty() && !transceiver; }
};

struct TopologySpec {
    std::string builder;  ///< topo::BuilderRegistry name, e.g. "scale_up_scale_out"
    topo::TopologyParams params;
    std::string source;  ///< where the wiring comes from
    std::string note;    ///< what was assumed where it is not public
    TopologyParts parts;  ///< empty unless the file names them
};

}  // namespace clustersim::catalog
