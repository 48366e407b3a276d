namespace Transformer.Cli;

/// <summary>
/// The model <c>run</c> uses when no --model is given: stories260K (about 1 MB, MIT), shipped in the repository's
/// <c>models/stories260K</c> and copied beside the executable by the project file, so a fresh clone runs it with
/// no network. Files beside the executable rather than embedded resources: the loader memory-maps model files,
/// and a resource would first have to be extracted somewhere.
/// </summary>
public static class DefaultModel
{
    /// <summary>The name messages and help use.</summary>
    public const string Name = "stories260K";

    /// <summary>Where the model's folder is: <c>models/stories260K</c> beside the executable.</summary>
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "models", Name);

    /// <summary>The model's folder; throws naming it when the files are missing (a broken install).</summary>
    public static string Resolve()
    {
        string directory = Directory;
        if (!System.IO.Directory.Exists(directory))
            throw new DirectoryNotFoundException($"the bundled default model is missing: {directory} does not exist (it is copied there from the repository's models/{Name} at build time); pass --model PATH");
        return directory;
    }
}
