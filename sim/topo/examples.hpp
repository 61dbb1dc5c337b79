#pragma once
// Published systems as builder parameters, each figure with its source (ids as in the chip and
// system files of models/ and the project's hardware reference, section 9). Where the wiring is
// not public the function says what is assumed; docs/models/topology.md lists every assumption.
// Latencies are left at 0 (not modelled) and no power or price is set: those are caller inputs.
#include <cstdint>

#include "topo/params.hpp"

namespace clustersim::topo {

/// GB200 NVL72 racks joined by InfiniBand NDR. Scale-up: NVLink 5, 18 links of 50 GB/s per
/// direction per GPU (900 GB/s), one to each of the rack's 18 NVSwitch chips of 72 ports (9 trays
/// x 2) [S31]. Scale-out: one ConnectX-7 400 Gb/s NIC per GPU [S14] into a fat-tree of Quantum-2
/// QM9700 switches, 64 x 400G [S21]: 2 tiers up to 2,048 GPUs, else 3 tiers (65,536).
/// Assumed: optical NIC and switch links with a transceiver at each end; not rail-optimised.
ScaleUpScaleOutParams gb200_nvl72_ndr(std::int64_t racks);

/// GB300 NVL72 racks joined by InfiniBand XDR: one ConnectX-8 800 Gb/s NIC per GPU into a
/// fat-tree of Quantum-X800 Q3400 switches, 144 x 800G [S21]: 2 tiers up to 10,368 GPUs, else 3.
ScaleUpScaleOutParams gb300_nvl72_xdr(std::int64_t racks);

/// CloudMatrix 384 supernodes (arXiv 2506.12708) [S16]: 48 nodes x 8 Ascend 910C. UB plane: a
/// two-tier non-blocking Clos in 7 sub-planes; each 910C die has one 224 Gb/s (28 GB/s) link per
/// sub-plane, so each NPU has 2 links per plane (392 GB/s); per plane and node one L1 switch (16
/// down, 16 up), per plane 16 L2 switches (48 ports used): 336 L1 and 112 L2. RDMA plane: 200 Gb/s
/// RoCE per die (400 Gb/s per NPU) into a Clos across supernodes; its switches are not published:
/// assumed 128-port, 1:1, 2 tiers up to 4,096 NPUs, else 3. The VPC plane is not modelled.
/// Assumed media: NPU-L1 electrical (on board), L1-L2 optical with one module per link, NIC links
/// with one at each end: 5,376 + 1,536 = SemiAnalysis' 6,912 LPO transceivers [S14] (the RDMA
/// fabric's own switch-to-switch links, not in that estimate, come on top).
ScaleUpScaleOutParams cloudmatrix384(std::int64_t supernodes);

/// One UB-Mesh pod as the paper describes it (arXiv 2503.20377) [S18]: 8 NPUs per board, 8 boards
/// per rack (2D full mesh), 4 x 4 racks (4D full mesh: 1,024 NPUs), one backup NPU per rack (64+1).
/// Per-NPU lanes: UB x72 at 112 Gb/s (14 GB/s per lane): x4 (56 GB/s) to each board and rack peer
/// (7 + 7), x2 (28 GB/s) to each of the 6 inter-rack peers. Inter-rack links optical (assumed).
UbMeshParams ub_mesh_pod();

/// Atlas 950 SuperPoD: 8,192 Ascend 950DT in 128 racks of 64 [S07][S08], taken as 8 UB-Mesh pods
/// (the reference treats UB-Mesh as the design basis) joined by a 2-tier Clos of high-radix
/// switches, UB x512 = 128 x4 ports [S18], one x4 (56 GB/s) link per NPU: 128 leaves, 64 spines.
/// Per NPU: 7 x 56 + 7 x 56 + 6 x 28 + 56 = 1,008 GB/s, the 950's UB 2.0 figure [S19].
/// Spares: none (not published for the Atlas 950; UB-Mesh has 64+1).
UbMeshParams atlas950_superpod();

/// Atlas 950 SuperCluster-like: `superpods` Atlas 950 SuperPoDs (64 for the announced 524,288 NPUs
/// [S09]) joined by UBoE/RoCE, 2 x 400G per NPU [S19] (on the real chip multiplexed onto UB ports;
/// here separate links). The fabric is not published: assumed a 3-tier Clos of 256-port 400G
/// switches (102.4 Tb/s class), 1:1, so that one pod holds one SuperPoD (up to 2,097,152 NPUs).
SuperClusterParams atlas950_supercluster(std::int64_t superpods);

}  // namespace clustersim::topo
