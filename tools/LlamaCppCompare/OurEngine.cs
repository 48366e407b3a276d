using System.Diagnostics;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Cpu;
using Transformer.Kernels.Cpu.Isa;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime;
using Transformer.Runtime.Llama;
using Transformer.Runtime.Synthetic;

namespace LlamaCppCompare;

/// <summary>This project's engine on its CPU backend, with the same synthetic weights the GGUF holds.</summary>
public sealed class OurEngine : IBenchEngine
{
    private readonly CpuBackend _cpu;
    private readonly DecoderModel _model;
    private readonly BenchProtocol _protocol;
    private readonly int[] _ids;

    /// <summary>Builds the model of <paramref name="config"/> with weights of <paramref name="seed"/> in <paramref name="format"/>.</summary>
    public OurEngine(ModelConfig config, ulong seed, WeightFormat format, BenchProtocol protocol)
    {
        _protocol = protocol;
        _ids = protocol.TokenIds(config.VocabSize);
        _cpu = new CpuBackend(new CpuBackendOptions { Threads = protocol.Threads, Isa = protocol.Isa });
        long start = Stopwatch.GetTimestamp();
        // One batched pass for the whole prompt, as llama.cpp does with a batch of 512.
        var options = new ModelOptions { WeightFormat = format, PrefillChunk = Math.Max(protocol.PromptTokens, 1) };
        _model = new LlamaModel(config, new SyntheticWeightSource(config, seed), _cpu, options, ownsWeights: true);
        LoadSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Name = format == WeightFormat.Q8 ? "ours int8" : "ours f32";
        Detail = $"{_cpu.Description}; isa {CpuIsaSupport.Name(_cpu.Isa)}";
    }

    /// <summary>
    /// Loads the model file at <paramref name="path"/> (a GGUF keeps its Q8_0/Q4_0 blocks as stored, whatever the format)
    /// and names the row after <paramref name="fileType"/>.
    /// </summary>
    public OurEngine(string path, string fileType, BenchProtocol protocol)
    {
        _protocol = protocol;
        _cpu = new CpuBackend(new CpuBackendOptions { Threads = protocol.Threads, Isa = protocol.Isa });
        long start = Stopwatch.GetTimestamp();
        var files = ModelFiles.Open(path);
        var options = new ModelOptions { WeightFormat = WeightFormat.F32, PrefillChunk = Math.Max(protocol.PromptTokens, 1) };
        _model = DecoderModels.Create(files.Config, files.Weights, _cpu, options, ownsWeights: true);
        _ids = protocol.TokenIds(files.Config.VocabSize);
        LoadSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Name = $"ours {fileType}";
        Detail = $"{_cpu.Description}; isa {CpuIsaSupport.Name(_cpu.Isa)}; {path}";
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Detail { get; }

    /// <inheritdoc/>
    public double LoadSeconds { get; }

    /// <inheritdoc/>
    public float[] WarmUp()
    {
        var logits = new float[_model.Config.VocabSize];
        using var sequence = _model.CreateSequence(_protocol.Positions);
        sequence.Append(_ids.AsSpan(0, _protocol.PromptTokens), logits);
        DecodeSteps(sequence, BenchProtocol.WarmUpDecodeSteps);
        return logits;
    }

    /// <inheritdoc/>
    public float[] SequenceLogits(int count)
    {
        var logits = new float[(long)count * _model.Config.VocabSize];
        using var sequence = _model.CreateSequence(count);
        sequence.AppendAll(_ids.AsSpan(0, count), logits);
        return logits;
    }

    /// <inheritdoc/>
    public (double PrefillSeconds, double DecodeSeconds) RunOnce()
    {
        using var sequence = _model.CreateSequence(_protocol.Positions);
        long t = Stopwatch.GetTimestamp();
        sequence.AppendAndArgmax(_ids.AsSpan(0, _protocol.PromptTokens));
        double prefill = Stopwatch.GetElapsedTime(t).TotalSeconds;
        t = Stopwatch.GetTimestamp();
        DecodeSteps(sequence, _protocol.GenTokens);
        return (prefill, Stopwatch.GetElapsedTime(t).TotalSeconds);
    }

    /// <inheritdoc/>
    public double BatchedDecodeSeconds(int sequences)
    {
        // The serving scheduler's step: one paged pool for every sequence, one forward over a row of each.
        int blockSize = _model.Options.KvBlockSize;
        int blocksEach = (_protocol.Positions + blockSize - 1) / blockSize;
        using var pool = _model.CreateKvPool(sequences * blocksEach, blockSize, _protocol.KvType);
        using var buffers = _model.CreateStepBuffers(Math.Max(sequences, _protocol.PromptTokens), sequences);
        var step = new StepLayout(blockSize);
        var ids = Enumerable.Range(0, sequences).Select(s => _protocol.TokenIds(_model.Config.VocabSize, s)).ToArray();
        int[] Table(int s) => Enumerable.Range(s * blocksEach, blocksEach).ToArray();
        for (int s = 0; s < sequences; s++)
        {
            step.Clear();
            int table = step.AddBlockTable(Table(s));
            for (int i = 0; i < _protocol.PromptTokens; i++) step.AddRow(table, i, 0, wantLogits: i == _protocol.PromptTokens - 1);
            _model.Forward(buffers, pool, step, ids[s].AsSpan(0, _protocol.PromptTokens));
        }
        var tokens = new int[sequences];
        long t = Stopwatch.GetTimestamp();
        for (int i = 0; i < _protocol.GenTokens; i++)
        {
            int position = _protocol.PromptTokens + i;
            step.Clear();
            for (int s = 0; s < sequences; s++)
            {
                step.AddRow(step.AddBlockTable(Table(s)), position, 0, wantLogits: true);
                tokens[s] = ids[s][position];
            }
            _model.Forward(buffers, pool, step, tokens);
        }
        return Stopwatch.GetElapsedTime(t).TotalSeconds;
    }

    /// <summary>Releases the model and the backend's workers.</summary>
    public void Dispose()
    {
        _model.Dispose();
        _cpu.Dispose();
    }

    private void DecodeSteps(Sequence sequence, int steps)
    {
        // The engine's own greedy argmax runs each step (as llama.cpp computes the logits); the next input is
        // the fixed id, so both engines see the same stream.
        for (int i = 0; i < steps; i++) sequence.AppendAndArgmax(_ids.AsSpan(_protocol.PromptTokens + i, 1));
    }
}
