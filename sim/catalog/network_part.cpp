#include "catalog/network_part.hpp"

namespace clustersim::catalog {

std::string_view to_string(PartKind k) {
    switch (k) {
        case PartKind::switch_part: return "switch";
        case PartKind::transceiver: return "transceiver";
    }
    return "?";
}

}  // namespace clustersim::catalog
