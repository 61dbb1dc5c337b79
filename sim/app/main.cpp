#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "app/cli.hpp"

#ifdef CLUSTERSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace {

// Started by mpirun (Open MPI, MPICH, or Slurm's PMI): only then is MPI initialised, so that a
// plain run needs no MPI runtime.
bool launched_by_mpi() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"}) {
        if (std::getenv(v) != nullptr) return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    clustersim::app::RunContext ctx;
    ctx.stderr_is_terminal = ::isatty(STDERR_FILENO) != 0;
#ifdef CLUSTERSIM_HAVE_MPI
    if (launched_by_mpi()) {
        MPI_Init(&argc, &argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &ctx.rank);
        MPI_Comm_size(MPI_COMM_WORLD, &ctx.size);
        ctx.max_over_ranks = [](int v) {
            int r = 0;
            MPI_Allreduce(&v, &r, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
            return r;
        };
        // Rank 0 speaks for the run; the others print only their own errors.
        std::ostringstream discard;
        const int code = clustersim::app::run_cli(args, ctx.rank == 0 ? std::cout : discard, std::cerr, ctx);
        MPI_Finalize();
        return code;
    }
#else
    (void)launched_by_mpi;
#endif
    return clustersim::app::run_cli(args, std::cout, std::cerr, ctx);
}
