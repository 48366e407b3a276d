using Transformer.Gpu.Tests.Fixtures;
using Transformer.Gpu.Tests.Support;
using Transformer.Kernels.Backend;
using Transformer.Kernels.Gpu;
using Transformer.Loader;
using Transformer.Runtime;
using Transformer.Runtime.Llama;
using Transformer.Tests.Shared;

namespace Transformer.Gpu.Tests.Models;

/// <summary>
/// Bitwise batch invariance of the ILGPU backend on stories260K (issue 8, item 5): a sequence's logits at
/// every position are the same bits whether it runs alone in one pass, in chunks, one token at a time,
/// or in steps beside other sequences over one shared, shuffled KV pool. The four sequences are the
/// prompts and greedy continuations of ../shared/models/stories260K/reference/greedy.json (65–69 tokens).
/// </summary>
public abstract class BatchInvarianceTests(AcceleratorFixture fixture)
{
    public static readonly TheoryData<WeightFormat, KvDType> Formats = new()
    {
        { WeightFormat.F32, KvDType.F32 },
        { WeightFormat.Q8, KvDType.F32 },
        { WeightFormat.F32, KvDType.F16 },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void ASequenceAloneAndBesideOthersGivesTheSameLogits(WeightFormat weights, KvDType kv)
    {
        var backend = fixture.RequireModelBackend();
        var sequences = Sequences();
        using var model = Load(backend, weights, kv, prefillChunk: 256);
        float[][] alone = sequences.Select(tokens => OnePass(model, tokens)).ToArray();
        // Up to 6 rows per sequence per step: steps of 1 to 24 rows mixing decode-sized and prefill-sized chunks.
        float[][] together = BatchedRun.Logits(model, sequences, ModelOptions.DefaultKvBlockSize, kv, maxChunk: 6, seed: 8);
        for (int s = 0; s < sequences.Length; s++)
            BatchedRun.AssertBitwiseEqual(alone[s], together[s], model.Config.VocabSize, $"{fixture.Name} {weights}/{kv} sequence {s}");
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void PrefillInOnePassEqualsPrefillInChunksAndTokenByToken(WeightFormat weights, KvDType kv)
    {
        var backend = fixture.RequireModelBackend();
        int[] tokens = Sequences()[0];
        int vocab;
        float[] onePass, chunked, tokenByToken;
        using (var model = Load(backend, weights, kv, prefillChunk: 256))
        {
            vocab = model.Config.VocabSize;
            onePass = OnePass(model, tokens);
        }
        using (var model = Load(backend, weights, kv, prefillChunk: 7)) chunked = OnePass(model, tokens);
        using (var model = Load(backend, weights, kv, prefillChunk: 256))
        {
            using var sequence = model.CreateSequence();
            tokenByToken = new float[tokens.Length * vocab];
            for (int p = 0; p < tokens.Length; p++) sequence.Append(tokens.AsSpan(p, 1), tokenByToken.AsSpan(p * vocab, vocab));
        }
        BatchedRun.AssertBitwiseEqual(onePass, chunked, vocab, $"{fixture.Name} {weights}/{kv} chunks of 7");
        BatchedRun.AssertBitwiseEqual(onePass, tokenByToken, vocab, $"{fixture.Name} {weights}/{kv} token by token");
    }

    private static float[] OnePass(LlamaModel model, int[] tokens)
    {
        using var sequence = model.CreateSequence();
        var logits = new float[tokens.Length * model.Config.VocabSize];
        sequence.AppendAll(tokens, logits);
        return logits;
    }

    private static int[][] Sequences()
    {
        Assert.SkipUnless(SharedModels.Available, SharedModels.SkipReason);
        var reference = ReferenceJson.Load(SharedModels.Stories260KFile("reference/greedy.json"));
        return Enumerable.Range(0, reference.GetArrayLength()).Select(i =>
            ReferenceJson.Ints(reference[i].GetProperty("prompt_token_ids")).Concat(ReferenceJson.Ints(reference[i].GetProperty("generated_token_ids"))).ToArray())
            .ToArray();
    }

    private static LlamaModel Load(IlgpuBackend backend, WeightFormat weights, KvDType kv, int prefillChunk)
    {
        var files = ModelFiles.Open(SharedModels.Stories260K);
        var options = new ModelOptions { WeightFormat = weights, KvType = kv, PrefillChunk = prefillChunk };
        return new LlamaModel(files.Config, files.Weights, backend, options, ownsWeights: true);
    }
}

[Collection(nameof(IlgpuCpuCollection))]
public sealed class IlgpuCpuBatchInvarianceTests(IlgpuCpuFixture fixture) : BatchInvarianceTests(fixture);

[Collection(nameof(OpenClCollection))]
public sealed class OpenClBatchInvarianceTests(OpenClFixture fixture) : BatchInvarianceTests(fixture);
