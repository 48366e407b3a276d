namespace Transformer.Cli.Tests;

/// <summary>Files the template and chat tests use: this project's templates and scratch folders.</summary>
internal static class ChatFiles
{
    public static string ChatML => Path.Combine(AppContext.BaseDirectory, "Templates", "chatml.jinja");

    public static string MistralStyle => Path.Combine(AppContext.BaseDirectory, "Templates", "mistral.jinja");
}

/// <summary>A fresh folder under the temp directory, deleted on dispose.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public ScratchFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cli-chat-" + Guid.NewGuid().ToString("N"));

    public string Write(string name, string content)
    {
        string file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, content);
        return file;
    }

    /// <summary>A copy of stories260K's files (weights, config, tokenizers) to add tokenizer files beside.</summary>
    public string CopyOfStories260K()
    {
        foreach (string file in Directory.GetFiles(SharedModels.Stories260K))
            File.Copy(file, System.IO.Path.Combine(Path, System.IO.Path.GetFileName(file)));
        return Path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
