using System.Text.Json;
using System.Text.Json.Nodes;
using Transformer.Kernels.Tensors;
using Transformer.Loader;
using Transformer.Loader.Config;
using Transformer.Runtime.Pruning;

namespace Transformer.Runtime.Distillation;

/// <summary>
/// A student cut from its teacher (Minitron-style initialisation): the student's depth kept from the teacher's layers of
/// highest Block Influence, its MLP width from each layer's neurons of largest activation L2, its key/value groups by
/// their heads' output norms and its hidden width by channel magnitude; the cut is <see cref="ModelPruner"/>'s, so the
/// student is exactly what <c>transformer prune</c> writes for the same choice. Only the shape comes from the student's
/// config: RoPE, norm epsilon and activation stay the teacher's, since the weights were trained with them.
/// </summary>
public static class TeacherInit
{
    /// <summary>The plan that cuts <paramref name="teacher"/> to <paramref name="student"/>'s shape.</summary>
    /// <exception cref="ArgumentException">The student's shape cannot be cut from the teacher, or a cut needs statistics not given.</exception>
    public static PrunePlan Plan(ModelConfig teacher, ModelConfig student, ImportanceStatistics? statistics)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ArgumentNullException.ThrowIfNull(student);
        CheckCuttable(teacher, student);
        if (NeedsStatistics(teacher, student) && statistics is null)
            throw new ArgumentException("cutting the teacher to the student's shape needs its importance statistics: pass --importance stats.json or --data CAL.txt");
        int[] layers = student.NumLayers == teacher.NumLayers
            ? [.. Enumerable.Range(0, teacher.NumLayers)]
            : PruneSelection.Layers(statistics!, student.NumLayers, LayerCriterion.BlockInfluence);
        return new PrunePlan
        {
            Layers = layers,
            Neurons = student.IntermediateSize == teacher.IntermediateSize ? null
                : PruneSelection.Neurons(layers, student.IntermediateSize, l => statistics!.Layers[l].NeuronL2),
            KvGroups = student.NumKvHeads == teacher.NumKvHeads ? null
                : PruneSelection.KvGroups(statistics!, layers, teacher.NumKvHeads, student.NumKvHeads),
            HiddenChannels = student.HiddenSize == teacher.HiddenSize ? null
                : PruneSelection.HiddenChannels(statistics!, student.HiddenSize),
        };
    }

    /// <summary>Whether any width or the depth shrinks (so the importance statistics choose what stays).</summary>
    public static bool NeedsStatistics(ModelConfig teacher, ModelConfig student) =>
        student.NumLayers != teacher.NumLayers || student.IntermediateSize != teacher.IntermediateSize
        || student.NumKvHeads != teacher.NumKvHeads || student.HiddenSize != teacher.HiddenSize;

    /// <summary>
    /// The student's config and tensors: the teacher cut to <paramref name="plan"/>, with the classifier the student's
    /// tie_word_embeddings asks for (a tied teacher's embedding copied into lm_head for an untied student; an untied
    /// teacher's lm_head dropped for a tied one, whose classifier is then the embedding).
    /// </summary>
    public static (ModelConfig Config, IReadOnlyList<HostTensor> Tensors) Cut(ModelConfig teacher, IWeightSource weights, ModelConfig student, PrunePlan plan,
        ImportanceStatistics? statistics)
    {
        var (shape, tensors) = ModelPruner.Prune(teacher, weights, plan, statistics);
        var list = tensors.ToList();
        if (teacher.TieWordEmbeddings && !student.TieWordEmbeddings)
        {
            var embedding = list.Single(t => t.Name == "model.embed_tokens.weight");
            list.Add(HostTensor.FromFloats("lm_head.weight", embedding.ToFloat32(), [.. embedding.Shape]));
        }
        else if (!teacher.TieWordEmbeddings && student.TieWordEmbeddings)
        {
            list.RemoveAll(t => t.Name == "lm_head.weight");
        }
        return (shape with { TieWordEmbeddings = student.TieWordEmbeddings }, list);
    }

    /// <summary>The teacher's config.json shrunk to the cut (as <c>prune</c> writes it), with the student's tie_word_embeddings.</summary>
    public static string ConfigJson(string teacherConfigJson, ModelConfig teacher, ModelConfig cut, IReadOnlyList<int> keptLayers)
    {
        var root = (JsonObject)JsonNode.Parse(PrunedFolder.ShrinkConfig(teacherConfigJson, teacher, cut, keptLayers))!;
        root["tie_word_embeddings"] = cut.TieWordEmbeddings;
        root["torch_dtype"] = "float32";
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    // Pruning removes whole layers, neurons, GQA groups (with their query heads) and channels; it never reshapes a head.
    private static void CheckCuttable(ModelConfig teacher, ModelConfig student)
    {
        ModelPruner.CheckSupported(teacher);
        if (student.Architecture != teacher.Architecture)
            throw new ArgumentException($"the student is a {student.Architecture} and the teacher a {teacher.Architecture}: a student cut from the teacher keeps its architecture (use --init random)");
        void AtMost(string field, int s, int t)
        {
            if (s > t) throw new ArgumentException($"the student's {field} is {s}, the teacher's {t}: a student cut from the teacher can only be smaller (use --init random)");
        }
        AtMost("num_hidden_layers", student.NumLayers, teacher.NumLayers);
        AtMost("hidden_size", student.HiddenSize, teacher.HiddenSize);
        AtMost("intermediate_size", student.IntermediateSize, teacher.IntermediateSize);
        AtMost("num_key_value_heads", student.NumKvHeads, teacher.NumKvHeads);
        if (student.HeadDim != teacher.HeadDim)
            throw new ArgumentException($"the student's head_dim is {student.HeadDim}, the teacher's {teacher.HeadDim}: cutting keeps whole heads (use --init random)");
        if (student.NumHeads * teacher.NumKvHeads != teacher.NumHeads * student.NumKvHeads)
            throw new ArgumentException($"the student has {student.NumHeads} query heads for {student.NumKvHeads} key/value heads, the teacher {teacher.NumHeads} for {teacher.NumKvHeads}: cutting keeps whole GQA groups, so the ratio must be the teacher's");
    }
}
