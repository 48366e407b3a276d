using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Kernels.Cpu.Ops;
using Transformer.Kernels.Cpu.Threading;
using Transformer.Kernels.Quantized;

namespace Transformer.Kernels.Cpu;

/// <summary>
/// One matmul dispatch over the worker pool: several weights sharing one input, split into blocks
/// of output rows. Reused for every call, so a decode step allocates nothing once warm.
/// </summary>
internal sealed class MatMulWork(CpuIsa isa) : IParallelWork
{
    // The f32, half and row-major int8 kernels compute 4 output rows per tile and the row-interleaved int8, Q4_K and
    // Q6_K kernels 8 (Q8InterleavedWeight.GroupRows, Q4KInterleavedWeight.GroupRows); other block sizes fall to a slower tail.
    private const int RowTile = Q8InterleavedWeight.GroupRows;

    private readonly Dictionary<int, Q8Activations> _quantizedInputs = [];
    private DeviceWeight[] _weights = new DeviceWeight[4];
    private CpuTensor[] _outputs = new CpuTensor[4];
    private int[] _itemWeight = new int[64];
    private int[] _itemStart = new int[64];
    private int[] _itemEnd = new int[64];
    private CpuTensor _input = null!;
    private Q8Activations? _quantizedInput;

    /// <summary>Plans the row blocks of every weight and returns how many work items there are.</summary>
    public int Prepare(CpuTensor input, ReadOnlySpan<DeviceWeight> weights, ReadOnlySpan<DeviceTensor> outputs, int threads)
    {
        _input = input;
        _quantizedInput = null;
        if (_weights.Length < weights.Length)
        {
            _weights = new DeviceWeight[weights.Length];
            _outputs = new CpuTensor[weights.Length];
        }

        int items = 0;
        for (int j = 0; j < weights.Length; j++)
        {
            var weight = weights[j];
            var output = outputs[j] as CpuTensor ?? throw new ArgumentException("matmul output does not belong to the CPU backend");
            if (input.Columns != weight.InFeatures || output.Columns != weight.OutFeatures || output.Rows != input.Rows)
                throw new ArgumentException($"matmul shapes: x[{input.Rows}, {input.Columns}] · '{weight.Name}'ᵀ[{weight.InFeatures}, {weight.OutFeatures}] → y[{output.Rows}, {output.Columns}]");
            if (weight is CpuQ8Weight or CpuQ4Weight or CpuQ4KWeight or CpuQ6KWeight) _quantizedInput ??= QuantizedInput(input);
            else if (weight is not (CpuF32Weight or CpuHalfWeight)) throw new ArgumentException($"weight '{weight.Name}' ({weight.Format}) does not belong to the CPU backend");
            // Q4_K's minimums (either layout) read per-block activation sums: computed here, once, before the workers share them.
            if (weight is CpuQ4KWeight) _quantizedInput!.ScaledSums();
            // Likewise the per-block offsets of the interleaved int8 kernel's vpdpbusd step (the only one reading them).
            if (weight is CpuQ8Weight { Interleaved: not null } && Q8MatMul.UsesVpdpbusd(isa)) _quantizedInput!.OffsetSums();
            // And the interleaved Q6_K kernel's per-16 sums.
            if (weight is CpuQ6KWeight { Interleaved: not null }) _quantizedInput!.SubBlockSums();
            _weights[j] = weight;
            _outputs[j] = output;

            // About four blocks per thread per weight balances uneven progress without tiny items.
            int rows = weight.OutFeatures;
            int block = Math.Max(RowTile, (rows / (threads * 4) + RowTile - 1) / RowTile * RowTile);
            for (int start = 0; start < rows; start += block)
            {
                EnsureItems(items + 1);
                _itemWeight[items] = j;
                _itemStart[items] = start;
                _itemEnd[items] = Math.Min(rows, start + block);
                items++;
            }
        }
        return items;
    }

    public void Execute(int index)
    {
        var weight = _weights[_itemWeight[index]];
        var y = _outputs[_itemWeight[index]];
        int start = _itemStart[index], end = _itemEnd[index];
        if (weight is CpuQ8Weight { Interleaved: { } packed })
            Q8MatMul.ComputeRows(isa, _quantizedInput!, packed, y.Span, start, end);
        else if (weight is CpuQ8Weight { Weight: { } rowMajor })
            Q8MatMul.ComputeRows(isa, _quantizedInput!, rowMajor, y.Span, start, end);
        else if (weight is CpuQ4Weight q4)
            Q4MatMul.ComputeRows(isa, _quantizedInput!, q4.Weight, y.Span, start, end);
        else if (weight is CpuQ4KWeight { Interleaved: { } q4kPacked })
            Q4KMatMul.ComputeRows(isa, _quantizedInput!, q4kPacked, y.Span, start, end);
        else if (weight is CpuQ4KWeight { Weight: { } q4k })
            Q4KMatMul.ComputeRows(isa, _quantizedInput!, q4k, y.Span, start, end);
        else if (weight is CpuQ6KWeight { Interleaved: { } q6kPacked })
            Q6KMatMul.ComputeRows(isa, _quantizedInput!, q6kPacked, y.Span, start, end);
        else if (weight is CpuQ6KWeight { Weight: { } q6k })
            Q6KMatMul.ComputeRows(isa, _quantizedInput!, q6k, y.Span, start, end);
        else if (weight is CpuHalfWeight h)
            MatMulHalf.ComputeRows(isa, h.Type, _input.Span, _input.Rows, h.Bits, h.InFeatures, h.OutFeatures, y.Span, start, end);
        else
        {
            var f = (CpuF32Weight)weight;
            MatMulF32Tiled.ComputeRows(isa, _input.Span, _input.Rows, f.Values, f.InFeatures, f.OutFeatures, y.Span, start, end);
        }
    }

    /// <summary>The input quantized once for all int8 and 4-bit weights of this call.</summary>
    private Q8Activations QuantizedInput(CpuTensor input)
    {
        if (!_quantizedInputs.TryGetValue(input.Columns, out var quantized))
            _quantizedInputs[input.Columns] = quantized = new Q8Activations(input.Columns, input.Rows);
        quantized.Quantize(input.Span, input.Rows);
        return quantized;
    }

    private void EnsureItems(int count)
    {
        if (_itemWeight.Length >= count) return;
        Array.Resize(ref _itemWeight, count * 2);
        Array.Resize(ref _itemStart, count * 2);
        Array.Resize(ref _itemEnd, count * 2);
    }
}
