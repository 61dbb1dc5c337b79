#pragma once
// `clustersim comm SYSTEM`: a collective benchmark over message sizes on a system's topology,
// like nccl-tests (docs/cli.md#comm, model: docs/models/comm.md).
#include <cstdint>
#include <ostream>
#include <string>

#include "catalog/catalog.hpp"

namespace clustersim::app {

struct CommOptions {
    std::string system;
    std::string collective = "all_reduce";
    std::int64_t group_size = 0;  ///< 0: every chip of the system in one group
    std::int64_t stride = 1;      ///< rank r of a group sits on accelerator offset + r * stride
    std::string min_size = "8 B";
    std::string max_size = "1 GiB";
    double factor = 2.0;
    std::string algorithm;  ///< empty: the fastest applicable
    std::string out_dir;    ///< empty: no CSV
};

/// Returns the exit code; messages go to err.
int run_comm(const catalog::Catalog& cat, const CommOptions& o, std::ostream& out, std::ostream& err);

}  // namespace clustersim::app
