using ILGPU;
using ILGPU.Algorithms;

namespace Transformer.Kernels.Gpu.Kernels;

/// <summary>
/// Tree reductions over one thread group through shared memory. Written by hand rather than with
/// ILGPU's GroupExtensions.Reduce because POCL lacks <c>work_group_reduce_add</c>, which that lowers to
/// on OpenCL. Every thread of the group must call these (they contain barriers); the group size must
/// be a power of two and the scratch must hold one float per thread.
/// </summary>
internal static class GroupReduction
{
    /// <summary>The sum of every thread's value, returned to all threads.</summary>
    public static float Sum(ArrayView<float> scratch, float value)
    {
        int thread = Group.IdxX;
        scratch[thread] = value;
        Group.Barrier();
        for (int stride = Group.DimX / 2; stride > 0; stride /= 2)
        {
            if (thread < stride) scratch[thread] += scratch[thread + stride];
            Group.Barrier();
        }
        float total = scratch[0];
        // The scratch may be reused right after; nobody may overwrite slot 0 before all have read it.
        Group.Barrier();
        return total;
    }

    /// <summary>The maximum of every thread's value, returned to all threads.</summary>
    public static float Max(ArrayView<float> scratch, float value)
    {
        int thread = Group.IdxX;
        scratch[thread] = value;
        Group.Barrier();
        for (int stride = Group.DimX / 2; stride > 0; stride /= 2)
        {
            if (thread < stride) scratch[thread] = XMath.Max(scratch[thread], scratch[thread + stride]);
            Group.Barrier();
        }
        float result = scratch[0];
        Group.Barrier();
        return result;
    }
}
