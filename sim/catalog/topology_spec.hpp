#pragma once
// A cluster's network as a system file or scenario gives it: a registered topology builder,
// its parameters, and where the wiring comes from (sources and assumptions as free text).
#include <string>

#include "topo/params.hpp"

namespace clustersim::catalog {

struct TopologySpec {
    std::string builder;  ///< topo::BuilderRegistry name, e.g. "scale_up_scale_out"
    topo::TopologyParams params;
    std::string source;  ///< where the wiring comes from
    std::string note;    ///< what was assumed where it is not public
};

}  // namespace clustersim::catalog
