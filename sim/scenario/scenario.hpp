#pragma once
// A scenario after decoding and validation: named cases, each a resolved cluster.
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "catalog/cluster.hpp"
#include "diag/diagnostic.hpp"

namespace clustersim::scenario {

struct Case {
    std::string name;      ///< unique; sweep points are "case/axis=value/..."
    std::string baseline;  ///< name of the case it is compared with, or empty
    catalog::Cluster cluster;
    diag::Location where;
};

struct Scenario {
    std::string name;
    diag::Location name_where;  ///< of the `scenario:` value
    std::string description;
    std::filesystem::path file;
    std::vector<Case> cases;  ///< in file order; sweep points of a case follow it, last axis fastest
};

}  // namespace clustersim::scenario
