#pragma once
// Value types shared by every topology: what a link is made of, and which kind of
// network (plane) it belongs to. Bandwidth is per direction: links are full duplex.
#include <cstdint>
#include <string_view>

#include "units/quantity.hpp"

namespace clustersim::topo {

/// The physical medium of a link. Optical links carry pluggable (or co-packaged) transceivers.
enum class Medium : std::uint8_t { electrical, optical };

/// Scale-up: the accelerators' own fabric (NVLink, UB); scale-out: NIC-based networks (InfiniBand, RoCE, UBoE).
enum class PlaneKind : std::uint8_t { scale_up, scale_out };

std::string_view to_string(Medium m);
std::string_view to_string(PlaneKind k);

/// One full-duplex link.
/// Invariants (checked by validate): bandwidth > 0; latency >= 0; an electrical link has no transceivers.
struct LinkSpec {
    units::BytesPerSecond bandwidth;  ///< each direction
    units::Seconds latency;           ///< one way, per hop; 0 = not modelled
    Medium medium = Medium::electrical;
    std::int64_t transceivers = 0;  ///< optical modules on this link, both ends together (usually 2)

    friend bool operator==(const LinkSpec&, const LinkSpec&) = default;
};

/// An electrical link of `bandwidth` per direction.
inline LinkSpec electrical(units::BytesPerSecond bandwidth, units::Seconds latency = units::Seconds(0.0)) {
    return LinkSpec{bandwidth, latency, Medium::electrical, 0};
}

/// An optical link of `bandwidth` per direction with `transceivers` modules (one at each end by default).
inline LinkSpec optical(units::BytesPerSecond bandwidth, units::Seconds latency = units::Seconds(0.0),
                        std::int64_t transceivers = 2) {
    return LinkSpec{bandwidth, latency, Medium::optical, transceivers};
}

}  // namespace clustersim::topo
