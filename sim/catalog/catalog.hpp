#pragma once
// The hardware catalog: every chip, system preset and network part, by id.
#include <map>
#include <string>
#include <vector>

#include "catalog/chip.hpp"
#include "catalog/network_part.hpp"
#include "catalog/system.hpp"

namespace clustersim::catalog {

struct Catalog {
    std::map<std::string, ChipSpec, std::less<>> chips;
    std::map<std::string, SystemSpec, std::less<>> systems;
    std::map<std::string, SwitchSpec, std::less<>> switches;          ///< models/network/, kind: switch
    std::map<std::string, TransceiverSpec, std::less<>> transceivers;  ///< models/network/, kind: transceiver

    [[nodiscard]] std::vector<std::string> chip_ids() const;
    [[nodiscard]] std::vector<std::string> system_ids() const;
    [[nodiscard]] std::vector<std::string> switch_ids() const;
    [[nodiscard]] std::vector<std::string> transceiver_ids() const;
};

}  // namespace clustersim::catalog
