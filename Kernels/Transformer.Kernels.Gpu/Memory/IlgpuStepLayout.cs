using ILGPU;
using ILGPU.Runtime;
using Transformer.Kernels.Backend;

namespace Transformer.Kernels.Gpu.Memory;

/// <summary>
/// The device copy of the current <see cref="StepLayout"/>: every array packed into one int buffer and
/// uploaded in one copy, only when the layout changed since the last upload (a different layout, or a
/// new <see cref="StepLayout.Version"/>), so the ops of all layers of a step reuse it without a host round
/// trip. Also keeps the bounds the ops check the layout against (largest position, slot, block and logit
/// row), computed on the host once per upload so every access a kernel makes is known to be in range.
/// </summary>
internal sealed class IlgpuStepLayout : IDisposable
{
    private readonly Accelerator _accelerator;
    private MemoryBuffer1D<int, Stride1D.Dense>? _buffer;
    private int[] _staging = new int[64];
    private StepLayout? _source;
    private long _version;

    public IlgpuStepLayout(Accelerator accelerator) => _accelerator = accelerator;

    /// <summary>Position of each row.</summary>
    public ArrayView<int> Positions { get; private set; }
    /// <summary>Pool slot of each row.</summary>
    public ArrayView<int> Slots { get; private set; }
    /// <summary>Offset of each row's block table.</summary>
    public ArrayView<int> TableStart { get; private set; }
    /// <summary>First attended position of each row.</summary>
    public ArrayView<int> AttendFrom { get; private set; }
    /// <summary>The rows whose logits are wanted.</summary>
    public ArrayView<int> LogitRows { get; private set; }
    /// <summary>The block tables, one after another.</summary>
    public ArrayView<int> BlockTables { get; private set; }

    /// <summary>Largest position of any row (−1 for an empty step).</summary>
    public int MaxPosition { get; private set; }
    /// <summary>Largest slot any row writes.</summary>
    public int MaxSlot { get; private set; }
    /// <summary>Smallest and largest physical block any row attends to.</summary>
    public (int Min, int Max) AttendedBlocks { get; private set; }
    /// <summary>Largest logit row.</summary>
    public int MaxLogitRow { get; private set; }

    /// <summary>Uploads the layout unless the device copy is already current.</summary>
    public void Ensure(StepLayout step)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (ReferenceEquals(step, _source) && step.Version == _version) return;

        int rows = step.Rows, logits = step.LogitRowCount, tables = step.BlockTableLength;
        int length = 4 * rows + logits + tables;
        if (_staging.Length < length) _staging = new int[Math.Max(length, 2 * _staging.Length)];
        var staging = _staging.AsSpan();
        step.Positions.CopyTo(staging);
        step.Slots.CopyTo(staging[rows..]);
        step.TableStart.CopyTo(staging[(2 * rows)..]);
        step.AttendFrom.CopyTo(staging[(3 * rows)..]);
        step.LogitRows.CopyTo(staging[(4 * rows)..]);
        step.BlockTables.CopyTo(staging[(4 * rows + logits)..]);
        MeasureBounds(step);

        if (_buffer is null || _buffer.Length < length)
        {
            if (_buffer is not null)
            {
                // Kernels queued for the previous step may still read the old buffer.
                _accelerator.DefaultStream.Synchronize();
                _buffer.Dispose();
            }
            _buffer = _accelerator.Allocate1D<int>(Math.Max(length, _staging.Length));
        }
        var view = _buffer.View;
        if (length > 0) view.SubView(0, length).CopyFromCPU(_accelerator.DefaultStream, staging[..length]);
        Positions = view.SubView(0, rows);
        Slots = view.SubView(rows, rows);
        TableStart = view.SubView(2 * rows, rows);
        AttendFrom = view.SubView(3 * rows, rows);
        LogitRows = view.SubView(4 * rows, logits);
        BlockTables = view.SubView(4 * rows + logits, tables);
        _source = step;
        _version = step.Version;
    }

    private void MeasureBounds(StepLayout step)
    {
        int maxPosition = -1, maxSlot = -1, minBlock = int.MaxValue, maxBlock = -1, maxLogitRow = -1;
        var tables = step.BlockTables;
        for (int r = 0; r < step.Rows; r++)
        {
            int position = step.Positions[r], start = step.TableStart[r];
            maxPosition = Math.Max(maxPosition, position);
            maxSlot = Math.Max(maxSlot, step.Slots[r]);
            // StepLayout.AddRow checked that the table reaches the row's own block.
            for (int logical = step.AttendFrom[r] / step.BlockSize; logical <= position / step.BlockSize; logical++)
            {
                int block = tables[start + logical];
                minBlock = Math.Min(minBlock, block);
                maxBlock = Math.Max(maxBlock, block);
            }
        }
        foreach (int row in step.LogitRows) maxLogitRow = Math.Max(maxLogitRow, row);
        MaxPosition = maxPosition;
        MaxSlot = maxSlot;
        AttendedBlocks = (minBlock, maxBlock);
        MaxLogitRow = maxLogitRow;
    }

    public void Dispose() => _buffer?.Dispose();
}
