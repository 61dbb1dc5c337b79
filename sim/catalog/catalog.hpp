#pragma once
// The catalog: every chip, system preset and network part, and every workload (model
// architecture), by id.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "catalog/chip.hpp"
#include "catalog/network_part.hpp"
#include "catalog/process.hpp"
#include "catalog/reliability.hpp"
#include "catalog/system.hpp"
#include "catalog/workload.hpp"

namespace clustersim::catalog {

struct Catalog {
    std::map<std::string, ChipSpec, std::less<>> chips;
    std::map<std::string, SystemSpec, std::less<>> systems;
    std::map<std::string, SwitchSpec, std::less<>> switches;          ///< models/network/, kind: switch
    std::map<std::string, TransceiverSpec, std::less<>> transceivers;  ///< models/network/, kind: transceiver
    /// models/workloads/; shared so that scenario cases can point at one without copying it.
    std::map<std::string, std::shared_ptr<const WorkloadSpec>, std::less<>> workloads;
    /// models/reliability/: failure and recovery figures of a fleet.
    std::map<std::string, ReliabilitySpec, std::less<>> reliability;
    /// models/processes/: foundry processes (wafer price, defect density) for the wafer-cost model.
    std::map<std::string, ProcessSpec, std::less<>> processes;

    [[nodiscard]] std::vector<std::string> chip_ids() const;
    [[nodiscard]] std::vector<std::string> system_ids() const;
    [[nodiscard]] std::vector<std::string> switch_ids() const;
    [[nodiscard]] std::vector<std::string> transceiver_ids() const;
    [[nodiscard]] std::vector<std::string> workload_ids() const;
    [[nodiscard]] std::vector<std::string> reliability_ids() const;
    [[nodiscard]] std::vector<std::string> process_ids() const;
};

}  // namespace clustersim::catalog
